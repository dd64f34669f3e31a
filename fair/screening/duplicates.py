"""Likely duplicates: the same project submitted twice, found by the text of its title and summary.

Pure: plain data in and out. Each text becomes its set of character bigrams (after NFKC, lower case,
no spaces or punctuation), which suits Chinese, where words are not spaced; a pair is a candidate when
the Jaccard similarity of its sets reaches the threshold. Applications follow common templates, so two
organisations need nearly the same text (THRESHOLD) while one organisation's two applications need
less (SAME_OWNER_THRESHOLD): those are compared owner by owner, a handful each.

Rather than compare every pair across owners, the search follows the all-pairs prefix filter (Bayardo,
Ma and Srikant, "Scaling up all pairs similarity search", WWW 2007) with PPJoin's positional filter
(Xiao et al., "Efficient similarity joins for near duplicate detection", WWW 2008), asking for two
common bigrams in the prefixes (Wang, Li and Feng, "Can we beat the prefix filtering?", SIGMOD 2012):
with bigrams ordered rarest first, two sets that are similar enough share at least two of the few
rarest bigrams of each, so only those are indexed. The answer is exact, the same as comparing every pair."""
import itertools
import math
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Hashable, Iterable

THRESHOLD = 0.8
SAME_OWNER_THRESHOLD = 0.6
SHARED_IN_PREFIX = 2
_PRUNED = -1
_EPSILON = 1e-9          # float slack in the bounds, so a bound never drops a pair exactly at the threshold


@dataclass(frozen=True)
class Text:
    """An application's words, and who submitted it (None: unknown)."""

    id: Hashable
    title: str
    summary: str
    owner: Hashable | None = None


@dataclass(frozen=True)
class Match:
    """Two applications that look alike, `first` the one listed earlier; similarity 0..1."""

    first: Hashable
    second: Hashable
    similarity: float


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, only letters and digits: formatting is no difference."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(char for char in text if unicodedata.category(char)[0] in "LN")


def bigrams(text: Text) -> frozenset[str]:
    """The title's and the summary's bigrams, marked apart; a one-character text is its own token."""
    tokens = set()
    for mark, part in (("t", text.title), ("s", text.summary)):
        plain = normalise(part)
        if len(plain) == 1:
            tokens.add(mark + plain)
        tokens.update(mark + plain[i:i + 2] for i in range(len(plain) - 1))
    return frozenset(tokens)


def jaccard(first: frozenset, second: frozenset) -> float:
    if not first and not second:
        return 0.0
    common = len(first & second)
    return common / (len(first) + len(second) - common)


def find_duplicates(texts: Iterable[Text], threshold: float = THRESHOLD,
                    same_owner_threshold: float = SAME_OWNER_THRESHOLD) -> list[Match]:
    """Every pair reaching `threshold`, or `same_owner_threshold` when one owner sent both; most alike first."""
    texts = list(texts)
    sets = [bigrams(text) for text in texts]
    found = dict(_similar_pairs(sets, threshold))
    by_owner = defaultdict(list)
    for position, text in enumerate(texts):
        if text.owner is not None:
            by_owner[text.owner].append(position)
    for positions in by_owner.values():
        for pair in itertools.combinations(positions, 2):
            if pair not in found and (similarity := jaccard(sets[pair[0]], sets[pair[1]])) >= same_owner_threshold:
                found[pair] = similarity
    matches = [Match(texts[one].id, texts[other].id, round(similarity, 4))
               for (one, other), similarity in found.items()]
    return sorted(matches, key=lambda match: (-match.similarity, str(match.first), str(match.second)))


def _similar_pairs(sets: list[frozenset], threshold: float):
    """(positions in order, similarity) for every pair of sets whose Jaccard similarity reaches `threshold`."""
    frequency = Counter(itertools.chain.from_iterable(sets))
    rank = {token: position for position, token in enumerate(sorted(frequency, key=lambda t: (frequency[t], t)))}
    ordered = [sorted(map(rank.__getitem__, tokens)) for tokens in sets]
    sizes = [len(tokens) for tokens in ordered]
    overlap_share = threshold / (1 + threshold)      # J ≥ t  ⇔  overlap ≥ t / (1 + t) · (|x| + |y|)
    index: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for x in sorted(range(len(sets)), key=sizes.__getitem__):
        size = sizes[x]
        needed = math.ceil(threshold * size - _EPSILON)       # common bigrams a match must have, at least
        shared: dict[int, int] = {}
        for i, token in enumerate(ordered[x][:size - needed + SHARED_IN_PREFIX]):
            for y, j in index[token]:
                count = shared.get(y, 0)
                if count == _PRUNED:
                    continue
                # Length filter, then the positional one: at most this many more common bigrams can follow.
                if sizes[y] < threshold * size - _EPSILON or \
                        count + 1 + min(size - i - 1, sizes[y] - j - 1) < overlap_share * (size + sizes[y]) - _EPSILON:
                    shared[y] = _PRUNED
                else:
                    shared[y] = count + 1
            index[token].append((x, i))
        for y, count in shared.items():
            if count >= min(SHARED_IN_PREFIX, needed) and (similarity := jaccard(sets[x], sets[y])) >= threshold:
                yield (min(x, y), max(x, y)), similarity

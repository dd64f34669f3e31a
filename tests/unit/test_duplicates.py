"""Finding the same project submitted twice: what counts as alike, and the fast search equal to the slow one."""
import itertools
import random
import time

import pytest

from fair.screening.duplicates import (SAME_OWNER_THRESHOLD, THRESHOLD, Text, bigrams, find_duplicates, jaccard,
                                       normalise)

SUMMARY = "为鼓楼区独居与高龄老人提供每日午餐配送、陪餐与健康随访，志愿者结对上门，每周不少于三次。"


def test_formatting_is_no_difference():
    assert normalise("“银龄食堂”　社区 助餐！ＡＢＣ１２") == "银龄食堂社区助餐abc12"


@pytest.mark.parametrize("first,second,alike", [
    (Text(1, "银龄食堂", SUMMARY), Text(2, "银龄食堂", SUMMARY), True),
    (Text(1, "“银龄食堂”社区助餐", SUMMARY), Text(2, "银龄食堂社区助餐服务", SUMMARY.replace("三次", "两次")), True),
    # Reworded: alike enough from one organisation, not from two.
    (Text(1, "银龄食堂", SUMMARY, owner="a"), Text(2, "银龄助餐", SUMMARY[:30] + "每周两次，志愿者陪餐。", owner="a"), True),
    (Text(1, "银龄食堂", SUMMARY, owner="a"), Text(2, "银龄助餐", SUMMARY[:30] + "每周两次，志愿者陪餐。", owner="b"), False),
    (Text(1, "银龄食堂", SUMMARY), Text(2, "古城河道守护行动", "组织青少年志愿者定期巡河、清理垃圾并开展水质监测与科普宣传。"), False),
    # The same name is common; a different project behind it is no duplicate.
    (Text(1, "四点半课堂", "放学后为外来务工人员子女提供作业辅导、阅读与兴趣活动。"),
     Text(2, "四点半课堂", "联合高校志愿者为社区留守儿童开展科学实验、艺术和体育课程。"), False),
])
def test_what_counts_as_alike(first, second, alike):
    matches = find_duplicates([first, second])
    assert bool(matches) == alike
    if alike:
        assert matches[0].first == 1 and matches[0].second == 2
        assert (SAME_OWNER_THRESHOLD if first.owner else THRESHOLD) <= matches[0].similarity <= 1


def test_empty_and_one_character_texts():
    assert find_duplicates([Text(1, "", ""), Text(2, "", "")]) == []
    assert [(m.first, m.second) for m in find_duplicates([Text(1, "爱", ""), Text(2, "爱", ""), Text(3, "心", "")])] \
        == [(1, 2)]


CHARACTERS = ("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本"
              "去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总"
              "次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权"
              "收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连"
              "断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严")
PHRASES = ["为社区独居老人提供上门探访与助餐服务", "组织青少年志愿者定期巡河", "开展水质监测与科普宣传", "志愿者结对上门",
           "在社区活动室开设手机使用课程", "放学后提供作业辅导", "心肺复苏与AED使用培训", "联合爱心企业提供职业技能培训"]


def synthetic(count: int, copies: int, seed: int) -> list[Text]:
    """Applications that share stock phrases (as real ones do), and `copies` resubmissions with a few edits
    by the same organisation."""
    rng = random.Random(seed)

    def words(length: int) -> str:
        return "".join(rng.choice(CHARACTERS) for _ in range(length))

    texts = [Text(number, words(6) + "志愿服务项目", "，".join(rng.sample(PHRASES, 3)) + words(rng.randint(40, 300)),
                  owner=number // 2)
             for number in range(count)]
    for number in range(copies):
        original = texts[rng.randrange(count)]
        summary = list(original.summary)
        for _ in range(4):
            summary[rng.randrange(len(summary))] = rng.choice(CHARACTERS)
        texts.append(Text(count + number, original.title + "（二期）", "".join(summary), owner=original.owner))
    return texts


@pytest.mark.parametrize("threshold,same_owner", [(0.3, 0.3), (THRESHOLD, SAME_OWNER_THRESHOLD), (0.9, 0.5)])
def test_the_fast_search_finds_exactly_what_comparing_every_pair_finds(threshold, same_owner):
    texts = synthetic(300, 25, seed=1)
    sets = {text.id: bigrams(text) for text in texts}
    every_pair = {(a.id, b.id) for a, b in itertools.combinations(texts, 2)
                  if jaccard(sets[a.id], sets[b.id]) >= (same_owner if a.owner == b.owner else threshold)}
    assert {(m.first, m.second) for m in find_duplicates(texts, threshold, same_owner)} == every_pair


def test_resubmissions_among_3500_are_found_quickly():
    texts = synthetic(3500, 30, seed=2)
    started = time.perf_counter()
    matches = find_duplicates(texts)
    assert time.perf_counter() - started < 20
    assert {m.second for m in matches} == set(range(3500, 3530))
    assert matches == sorted(matches, key=lambda m: -m.similarity)

"""Who may call each route: the expected-access table of tests/web/test_access_matrix.py.

Every endpoint of the app has an entry (a new route fails the matrix until it is added here). For GET,
`get` says the status each role gets: OK (200), LOGIN (302 to the log-in page, or 401 for the JSON API),
DENIED (403, or 404 where the object is hidden from that role). For POST, `post` names the roles that may
post; every other role is refused (log-in, 401, 403, 404 or 400) and nothing in the database changes.

The roles: anonymous; visitor (no account, the ticket cookie of this fair); exhibitor of another
organisation than the project's; reviewer; judge not assigned to the project; sponsor (the representative
of the sponsor party to the meeting and the agreement); gate staff; organizer of another fair; organizer."""
from dataclasses import dataclass, field

ANON, VISITOR, EXHIBITOR, REVIEWER, JUDGE, SPONSOR, GATE, OTHER_ORGANIZER, ORGANIZER = (
    "anonymous", "visitor", "exhibitor", "reviewer", "judge", "sponsor", "gate_staff", "other_organizer",
    "organizer")
ROLES = (ANON, VISITOR, EXHIBITOR, REVIEWER, JUDGE, SPONSOR, GATE, OTHER_ORGANIZER, ORGANIZER)
NO_ACCOUNT = frozenset({ANON, VISITOR})
MEMBERS = frozenset({EXHIBITOR, REVIEWER, JUDGE, SPONSOR, GATE, ORGANIZER})
EVERYONE = frozenset(ROLES)

OK, LOGIN, DENIED, REDIRECT = "200", "log-in", "403/404", "302"
LOGIN_REDIRECT = "/login"


@dataclass(frozen=True)
class Access:
    get: dict = field(default_factory=dict)      # role → OK / LOGIN / DENIED / REDIRECT; absent: no GET
    post: frozenset | None = None                # roles that may post; None: no POST


def statuses(allowed, *, public=frozenset(), redirect=frozenset()) -> dict:
    """`allowed` get 200, `redirect` a 302 elsewhere; accounts without the right role 403/404; no account the
    log-in page, unless `public` (then 200)."""
    allowed, public, redirect = frozenset(allowed), frozenset(public), frozenset(redirect)
    answer = {}
    for role in ROLES:
        if role in redirect:
            answer[role] = REDIRECT
        elif role in allowed or role in public:
            answer[role] = OK
        elif role in NO_ACCOUNT:
            answer[role] = LOGIN
        else:
            answer[role] = DENIED
    return answer


def page(*allowed, **kwargs) -> Access:
    return Access(get=statuses(allowed, **kwargs))


def form(*allowed, **kwargs) -> Access:
    """A GET page whose form posts back to it, for the same roles."""
    return Access(get=statuses(allowed, **kwargs), post=frozenset(allowed))


def action(*allowed) -> Access:
    return Access(post=frozenset(allowed))


def public_page(**kwargs) -> Access:
    return Access(get=statuses(EVERYONE, **kwargs))


O = ORGANIZER
ACCOUNTS = MEMBERS | {OTHER_ORGANIZER}

RULES: dict[str, Access] = {
    # site, accounts
    "home.index": public_page(),
    "home.healthz": public_page(),
    "home.switch_language": public_page(redirect=EVERYONE),
    "auth.login": Access(get=statuses(NO_ACCOUNT, redirect=ACCOUNTS), post=EVERYONE),
    "auth.logout": action(*ACCOUNTS),
    "auth.change_password": form(*ACCOUNTS),
    "auth.accept_invitation": Access(get=statuses(EVERYONE), post=EVERYONE),
    "auth.register": Access(get=statuses(EVERYONE), post=EVERYONE),
    "auth.people": page(O),
    "auth.invite": action(O),
    "auth.revoke_invitation": action(O),
    "auth.remove_member": action(O),
    "fairs.create": form(O, OTHER_ORGANIZER),          # both are platform administrators
    "fairs.overview": page(*MEMBERS),
    "fairs.edit": form(O),
    "fairs.move_phase": action(O),
    "audit.events": page(O),
    "messages.inbox": page(*MEMBERS),
    "messages.show": page(),                            # to the project's organisation only
    "api-docs.openapi_json": public_page(),
    # applications
    "applications.index": page(O, REVIEWER),
    "applications.detail": page(O),
    "applications.attachment": page(O),
    "applications.upload": action(),
    "applications.delete_attachment": action(),
    "applications.edit": form(),
    "applications.reopen": action(O),
    "applications.withdraw": form(),
    "applications.export_csv": page(O),
    "applications.export_xlsx": page(O),
    "applications.import_start": page(O),
    "applications.import_check": action(O),
    "applications.import_confirm": action(O),
    "applications.import_template": page(O),
    "applications.create": form(EXHIBITOR),
    "applications.mine": page(EXHIBITOR),
    "applications_api.list_applications_api": page(O),
    "applications_api.get_application": page(O),
    # screening, shortlist
    "screening.overview": page(O),
    "screening.assign": action(O),
    "screening.duplicates": page(O),
    "screening.resolve": action(O),
    "screening.scan": action(O),
    "screening.queue": page(REVIEWER),
    "screening.remind": action(O),
    "screening.results": page(O),
    "screening.results_export": page(O),
    "screening.review": form(),                        # not this reviewer's assignment
    "screening.autosave": action(),
    "screening.settings": page(O),
    "screening.save_settings": action(O),
    "screening.save_rubric": action(O),
    "shortlist.index": page(O),
    "shortlist.export": page(O),
    "shortlist.override": action(O),
    "shortlist.propose": action(O),
    "shortlist.publish": action(O),
    "shortlist.replace": action(O),
    "shortlist.settings": action(O),
    # booths
    "booths.plan": page(O),
    "booths.booths_export": page(O),
    "booths.placement": form(O),
    "booths.booth_sign": page(O),
    "booths.plan_edit_booth": action(O),
    "booths.plan_delete_booth": action(O),
    "booths.allocation": form(O),
    "booths.plan_copy_row": action(O),
    "booths.plan_add_hall": action(O),
    "booths.plan_edit_hall": action(O),
    "booths.plan_delete_hall": action(O),
    "booths.plan_import": page(O),
    "booths.plan_import_file": action(O),
    "booths.plan_import_template_csv": page(O),
    "booths.plan_import_template_json": page(O),
    "booths.plan_add_booth": action(O),
    "booths.plan_setup_notes": action(O),
    "booths.plan_add_zone": action(O),
    "booths.plan_edit_zone": action(O),
    "booths.plan_delete_zone": action(O),
    "booths.my_booth": page(EXHIBITOR),
    "booths.public_plan": public_page(),
    "booths.project": public_page(),
    "booths.signage": page(O),
    # console
    "console.dashboard": page(O),
    "console.dashboard_json": page(O),
    "console.report": page(O),
    "console.numbers": public_page(),
    "console.numbers_json": public_page(),
    "console_api.list_fairs": public_page(),
    "console_api.get_fair_stats": public_page(),
    # judging
    "judging.assignment": form(O),
    "judging.assignment_judge": form(O),
    "judging.certificate": page(O),
    "judging.find_booth": page(redirect={JUDGE}),       # to the judge's own list
    "judging.booth": page(),                            # the judge is not assigned to it
    "judging.certificates": page(O),
    "judging.conflicts": page(JUDGE, O),
    "judging.declare": action(JUDGE, O),
    "judging.withdraw": action(O),
    "judging.judges": page(O),
    "judging.add_judge": action(O),
    "judging.judge": form(O),
    "judging.set_active": action(O),
    "judging.add_affiliation": action(O),
    "judging.remove_affiliation": action(O),
    "judging.add_tie": action(O),
    "judging.remove_tie": action(O),
    "judging.my_projects": page(JUDGE),
    "judging.my_awards": page(EXHIBITOR),
    "judging.progress": page(O),
    "judging.results": page(O),
    "judging.results_export": page(O),
    "judging.awards_export": page(O),
    "judging.request_extra": action(O),
    "judging.freeze": action(O),
    "judging.override": action(O),
    "judging.publish": action(O),
    "judging.decide_tie": action(O),
    "judging.score": form(),
    "judging.skip": action(),
    "judging.change_score": form(O),
    "judging.setup": page(O),
    "judging.save_setup": action(O),
    "judging.vote": action(VISITOR),
    "judging.votes": page(O),
    "judging.close_voting": action(O),
    "judging.open_voting": action(O),
    "judging_api.list_assignments": page(JUDGE),
    "judging_api.get_scorecard": page(),
    "judging_api.save_scores": Access(post=frozenset()),
    "certificates.verify": public_page(),
    # visitors
    "visitors.booth_contacts": page(EXHIBITOR),
    "visitors.booth_contacts_csv": page(EXHIBITOR),
    "visitors.my_visit": public_page(),
    "visitors.forget": action(*EVERYONE),
    "visitors.use_ticket": action(*EVERYONE),
    "visitors.bookmark": action(VISITOR),
    "visitors.contact": Access(get=statuses({VISITOR}, redirect=EVERYONE - {VISITOR}), post=frozenset({VISITOR})),
    "visitors.withdraw_contact": action(VISITOR),
    "visitors.record_visit": action(VISITOR),
    "visitors.register_visit": Access(get=statuses(EVERYONE), post=EVERYONE),
    "visitors.scan": page(GATE, O),
    "visitors.scan_offline_kit": page(GATE, O),
    "visitors.scan_redeem": action(GATE, O),
    "visitors.scan_sync": action(GATE, O),
    "visitors.ticket": public_page(),
    "visitors.ticket_pdf": public_page(),
    "visitors.ticket_png": public_page(),
    "visitors.use_here": public_page(redirect=EVERYONE),
    "visitors.area": form(O),
    "visitors.conflicts": page(O),
    "visitors.counters": page(O),
    "visitors.checkins_export": page(O),
    "visitors.counters_json": page(O),
    "visitors.devices": form(O),
    "visitors.revoke_device": action(O),
    "visitors.points": form(O),
    "visitors.point": form(O),
    "visitors.tickets": page(O),
    "visitors.reissue": action(O),
    "visitors.revoke": action(O),
    "visitors.tickets_bulk": form(O),
    "visitors.tickets_export": page(O),
    "visitors.tickets_list_export": page(O),
    "visitors.group_pdf": page(),                       # 404 without a group named in the query
    "visitors.tickets_import": form(O),
    "visitors.tickets_import_template": page(O),
    "visitors.walk_in": form(GATE, O),
    "checkin_api.redeem": action(),
    "checkin_api.sync": action(),
    "checkin_api.search_tickets": Access(get=dict.fromkeys(ROLES, LOGIN)),   # a device token, never a session
    # sponsorship
    "sponsorship.agreements": page(SPONSOR, EXHIBITOR, O),
    "sponsorship.agreements_export": page(O),
    "sponsorship.agreement": page(SPONSOR, O),
    "sponsorship.agreement_pdf": page(SPONSOR, O),
    "sponsorship.amend_agreement": action(SPONSOR, O),
    "sponsorship.cancel_agreement": Access(get=statuses({O}, redirect={SPONSOR}), post=frozenset({SPONSOR, O})),
    "sponsorship.countersign_agreement": Access(get=statuses(()), post=frozenset({SPONSOR, O})),   # signed already
    "sponsorship.edit_agreement": Access(get=statuses((), redirect={SPONSOR}), post=frozenset({SPONSOR, O})),
    "sponsorship.sign_agreement": Access(get=statuses((), redirect={SPONSOR}), post=frozenset({SPONSOR, O})),
    "sponsorship.new_agreement": form(SPONSOR, EXHIBITOR),
    "sponsorship.verify_agreement": public_page(),
    "sponsorship.bookmarks": page(SPONSOR),
    "sponsorship.caring_units": page(O),
    "sponsorship.caring_unit_designate": action(O),
    "sponsorship.caring_unit_verify": public_page(),
    "sponsorship.caring_unit_certificate": page(O),
    "sponsorship.caring_unit_remove": action(O),
    "sponsorship.caring_unit_certificates": page(O),
    "sponsorship.catalog": public_page(),               # exhibited projects are public
    "sponsorship.ledger": page(O),
    "sponsorship.ledger_csv": page(O),
    "sponsorship.ledger_export": page(O),
    "sponsorship.ledger_agreement": page(SPONSOR, O),
    "sponsorship.ledger_record_payment": action(SPONSOR, O),
    "sponsorship.ledger_remove_payment": action(O),
    "sponsorship.meetings": page(SPONSOR, EXHIBITOR),
    "sponsorship.meetings_ics": page(SPONSOR, EXHIBITOR),
    "sponsorship.meeting": page(SPONSOR, O),
    "sponsorship.answer_meeting": action(SPONSOR),
    "sponsorship.cancel_meeting": action(SPONSOR, O),
    "sponsorship.move_meeting": action(O),
    "sponsorship.meeting_area": page(O),
    "sponsorship.add_slots": action(O),
    "sponsorship.remove_slot": action(O),
    "sponsorship.add_tables": action(O),
    "sponsorship.rename_table": action(O),
    "sponsorship.remove_table": action(O),
    "sponsorship.check_in": Access(get=statuses(MEMBERS), post=frozenset({SPONSOR, GATE, O})),   # the QR code is the key; gate staff confirm too
    "sponsorship.meeting_grid": page(O),
    "sponsorship.meetings_export": page(O),
    "sponsorship.mark_no_shows": action(O),
    "sponsorship.schedule_meetings": action(O),
    "sponsorship.new_meeting": Access(get=statuses(()), post=frozenset({SPONSOR, EXHIBITOR})),   # 403 without the other party in the query
    "sponsorship.profile": form(SPONSOR),
    "sponsorship.project": public_page(),
    "sponsorship.bookmark": action(SPONSOR),
    "sponsorship.bookmark_note": action(SPONSOR),
    "sponsorship.photo": Access(get=dict.fromkeys(ROLES, DENIED)),   # a draft's photo: not in the catalog
    "sponsorship.recommendations": page(SPONSOR, EXHIBITOR, O),
    "sponsorship.signing_ceremony": page(O),
    "sponsorship.sponsors": page(O),
    "sponsorship.add_sponsor": action(O),
    "sponsorship.sponsors_csv": page(O),
    "sponsorship.sponsors_export": page(O),
    "sponsorship.sponsor": page(O, EXHIBITOR),
    "sponsorship.signing_wall": public_page(),
    "sponsorship.signing_wall_data": public_page(),
    "sponsorship_api.list_catalog_projects": public_page(),
    "sponsorship_api.get_catalog_project": public_page(),
    # jobs (the organizer's or their starter's)
    "jobs.index": page(O),
    "jobs.job": page(O),
    "jobs.job_json": page(O),
    "jobs.download": page(),                            # 404: the queued job has no file yet
    "jobs.cancel": action(O),
    "jobs.retry": action(O),
}

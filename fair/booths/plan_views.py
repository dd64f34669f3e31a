"""The organizer's floor plan editor: the halls as tabs, a hall's plan with its booths and zones, the forms
that change them and the plan import. Thin: every change goes through booths.services, and a refused one
comes back on the same page with the person's input and each problem next to its field."""
import csv
import io
import json
import re

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale, gettext as _, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from fair.applications.models import BoothSize
from fair.auth.models import Role
from fair.auth.permissions import fair_role_required
from fair.booths import importing, queries, services
from fair.booths.forms import (BoothForm, CopyRowForm, DeleteBoothForm, DeleteForm, HallForm, ImportForm,
                               SetupNotesForm, ZoneForm)
from fair.booths.models import Booth, Hall, Zone
from fair.booths.views import bp
from fair.extensions import db
from fair.forms import whole_number
from fair.navigation import add_fair_nav
from fair.refusal import Refused

add_fair_nav(40, _l("展位平面图"), "booths.plan", Role.organizer)
CODE_NUMBER = re.compile(r"^(.*?)(\d+)$")


def _plan_url(fair, hall_id=None, **args) -> str:
    return url_for("booths.plan", slug=fair.slug, hall=hall_id, **args)


def _show(form, refusal: Refused, subjects: set[str] = frozenset()) -> None:
    """Each of a refusal's problems next to its field when it is about what this form changes (`subjects`),
    the others above the form: a copied row's overlaps, a booth a smaller hall would leave outside."""
    problems = getattr(refusal, "problems", None)
    if problems is None:
        problems = [services.Problem(next(iter(subjects), ""), refusal.field or "", refusal.message)]
    for problem in problems:
        field = getattr(form, problem.field, None) if problem.field else None
        if field is not None and problem.subject in subjects | {""}:
            field.errors = [*field.errors, problem.message]
        else:
            form.form_errors.append(problem.message)


def _zone_choices(zones: list[Zone], halls: list[Hall]) -> list[SelectChoice]:
    names = {hall.id: hall.name for hall in halls}
    return [SelectChoice(zone.id, zone.name, optgroup=names.get(zone.hall_id, "")) for zone in zones]


def _booth_data(booth: Booth) -> dict:
    details = vars(services.details_of(booth))
    return {**details, "size": booth.size.value, "version": booth.version}


def _next_code(codes: list[str], taken: set[str]) -> str:
    """The code after the hall's highest (A-09 → A-10, keeping the zero padding), never one the fair has."""
    numbered = sorted((match.group(1), int(match.group(2)), len(match.group(2)))
                      for match in map(CODE_NUMBER.match, codes) if match)
    prefix, number, digits = numbered[-1] if numbered else ("", 0, 2)
    if not numbered:
        letters = {code[0].upper() for code in taken}
        prefix = next((letter for letter in "ABCDEFGHJKLMNPQRSTUVWXYZ" if letter not in letters), "Z") + "-"
    while True:
        number += 1
        code = f"{prefix}{number:0{digits}d}"
        if code.upper() not in taken:
            return code


def _counts(booths: list[Booth], zones: list[Zone]) -> dict:
    by_zone = {zone.id: {"zone": zone, "booths": 0, "free": 0} for zone in zones}
    for booth in booths:
        entry = by_zone.get(booth.zone_id)
        if entry:
            entry["booths"] += 1
            entry["free"] += booth.application_id is None
    return {"booths": len(booths), "free": sum(booth.application_id is None for booth in booths),
            "powered": sum(booth.power for booth in booths),
            "double": sum(booth.size is BoothSize.double for booth in booths),
            "step_free": sum(booth.step_free for booth in booths), "by_zone": list(by_zone.values())}


def _render(fair, *, hall_id: int | None = None, booth_id: int | None = None, zone_id: int | None = None,
            status: int = 200, **forms):
    """The whole editor; a refused post passes its form (with input and errors) and the hall it was about.
    A fixed number of statements however many booths: zones with their categories, then queries.load_plan."""
    locale = str(get_locale())
    zones = db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id).order_by(Zone.position, Zone.id)
                               .options(selectinload(Zone.categories))).all()
    plan = queries.load_plan(fair, locale=locale)
    halls = [hall_plan.hall for hall_plan in plan.halls]
    hall_id = hall_id or request.args.get("hall", type=int)
    current = next((hall_plan for hall_plan in plan.halls if hall_plan.hall.id == hall_id),
                   plan.halls[0] if plan.halls else None)
    hall_zones = [zone for zone in zones if current and zone.hall_id == current.hall.id]
    booth_id = booth_id or request.args.get("booth", type=int)
    editing = next((booth for booth in plan.booths if booth.id == booth_id), None)
    zone_id = zone_id or request.args.get("zone", type=int)
    chosen_zone = next((zone for zone in zones if zone.id == zone_id), None)
    taken = {booth.code.upper() for booth in plan.booths}

    new_booth = forms.get("new_booth_form") or BoothForm(prefix="new-booth", formdata=None, data={
        "code": _next_code([booth.code for booth in current.rows] if current else [], taken),
        "zone_id": hall_zones[0].id if hall_zones else None})
    booth_form = forms.get("booth_form") or (
        BoothForm(prefix="booth", formdata=None, data=_booth_data(editing)) if editing else None)
    for form in filter(None, (new_booth, booth_form)):
        form.zone_id.choices = _zone_choices(zones, halls)
    new_zone = forms.get("new_zone_form") or ZoneForm(prefix="new-zone", formdata=None,
                                                      data={"hall_id": current.hall.id if current else None})
    zone_form = forms.get("zone_form") or (ZoneForm(prefix="zone", formdata=None, data={
        "name": chosen_zone.name, "name_en": chosen_zone.name_en, "hall_id": chosen_zone.hall_id,
        "colour": chosen_zone.colour, "category_ids": [category.id for category in chosen_zone.categories]})
        if chosen_zone else None)
    for form in filter(None, (new_zone, zone_form)):
        _zone_form_choices(form, fair, halls, locale)
    hall_form = forms.get("hall_form") or (HallForm(prefix="hall", formdata=None, obj=current.hall) if current
                                           else None)
    return render_template(
        "booths/plan_index.html", fair=fair, plan=plan, halls=halls, current=current, zones=zones,
        hall_zones=hall_zones, editing=editing, chosen_zone=chosen_zone, counts=_counts(plan.booths, zones),
        new_booth_form=new_booth, booth_form=booth_form, delete_booth_form=DeleteBoothForm(
            prefix="delete", formdata=None, data={"version": booth_form.version.data if booth_form else None}),
        new_zone_form=new_zone, zone_form=zone_form, hall_form=hall_form,
        new_hall_form=forms.get("new_hall_form") or HallForm(prefix="new-hall", formdata=None),
        copy_form=forms.get("copy_form") or CopyRowForm(prefix="copy", formdata=None),
        notes_form=forms.get("notes_form") or SetupNotesForm(prefix="notes", formdata=None,
                                                             data={"notes": fair.setup_notes}),
        delete_form=DeleteForm(prefix="delete", formdata=None), conflict=forms.get("conflict"),
        open_section=forms.get("open_section", "")), status


def _zone_form_choices(form: ZoneForm, fair, halls: list[Hall], locale: str) -> None:
    form.hall_id.choices = [SelectChoice(hall.id, hall.name) for hall in halls]
    form.category_ids.choices = [SelectChoice(category.id, category.display_name(locale))
                                 for category in fair.categories]


@bp.get("/booths")
@fair_role_required(Role.organizer)
def plan(fair):
    return _render(fair)


# --- halls ---------------------------------------------------------------------------------------------

def _hall_details(form: HallForm) -> services.HallDetails:
    return services.HallDetails(form.name.data.strip(), form.width.data, form.depth.data,
                                (form.name_en.data or "").strip())


@bp.post("/booths/halls")
@fair_role_required(Role.organizer)
def plan_add_hall(fair):
    form = HallForm(prefix="new-hall")
    status = 400
    if form.validate_on_submit():
        try:
            hall = services.create_hall(fair, _hall_details(form), actor=current_user)
        except Refused as refusal:
            status = 409
            _show(form, refusal, {form.name.data.strip()})
        else:
            flash(_("已添加展馆“%(name)s”。", name=hall.name), "success")
            return redirect(_plan_url(fair, hall.id))
    return _render(fair, new_hall_form=form, open_section="new-hall", status=status)


@bp.post("/booths/halls/<int:hall_id>")
@fair_role_required(Role.organizer)
def plan_edit_hall(fair, hall_id: int):
    hall = db.first_or_404(sa.select(Hall).where(Hall.id == hall_id, Hall.fair_id == fair.id))
    form = HallForm(prefix="hall")
    status = 400
    if form.validate_on_submit():
        try:
            services.update_hall(hall, _hall_details(form), actor=current_user)
        except Refused as refusal:
            db.session.rollback()
            status = 409
            _show(form, refusal, {form.name.data.strip()})
        else:
            flash(_("展馆“%(name)s”已保存。", name=hall.name), "success")
            return redirect(_plan_url(fair, hall.id))
    return _render(fair, hall_id=hall_id, hall_form=form, open_section="hall", status=status)


@bp.post("/booths/halls/<int:hall_id>/delete")
@fair_role_required(Role.organizer)
def plan_delete_hall(fair, hall_id: int):
    hall = db.first_or_404(sa.select(Hall).where(Hall.id == hall_id, Hall.fair_id == fair.id))
    if DeleteForm(prefix="delete").validate_on_submit():
        name = hall.name
        try:
            services.delete_hall(hall, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
            return redirect(_plan_url(fair, hall_id))
        flash(_("已删除展馆“%(name)s”。", name=name), "success")
    return redirect(_plan_url(fair))


# --- zones ---------------------------------------------------------------------------------------------

def _zone_details(form: ZoneForm) -> services.ZoneDetails:
    return services.ZoneDetails(form.name.data.strip(), form.hall_id.data, list(form.category_ids.data or []),
                                form.colour.data or "", (form.name_en.data or "").strip())


def _posted_zone_form(fair, prefix: str) -> ZoneForm:
    form = ZoneForm(prefix=prefix)
    halls = db.session.scalars(sa.select(Hall).where(Hall.fair_id == fair.id).order_by(Hall.position)).all()
    _zone_form_choices(form, fair, halls, str(get_locale()))
    return form


@bp.post("/booths/zones")
@fair_role_required(Role.organizer)
def plan_add_zone(fair):
    form = _posted_zone_form(fair, "new-zone")
    status = 400
    if form.validate_on_submit():
        try:
            zone = services.create_zone(fair, _zone_details(form), actor=current_user)
        except Refused as refusal:
            status = 409
            _show(form, refusal, {form.name.data.strip()})
        else:
            flash(_("已添加展区“%(name)s”。", name=zone.name), "success")
            return redirect(_plan_url(fair, zone.hall_id))
    return _render(fair, hall_id=form.hall_id.data, new_zone_form=form, open_section="new-zone", status=status)


@bp.post("/booths/zones/<int:zone_id>")
@fair_role_required(Role.organizer)
def plan_edit_zone(fair, zone_id: int):
    zone = db.first_or_404(sa.select(Zone).where(Zone.id == zone_id, Zone.fair_id == fair.id))
    form = _posted_zone_form(fair, "zone")
    status = 400
    if form.validate_on_submit():
        try:
            services.update_zone(zone, _zone_details(form), actor=current_user)
        except Refused as refusal:
            db.session.rollback()
            status = 409
            _show(form, refusal, {form.name.data.strip()})
        else:
            flash(_("展区“%(name)s”已保存。", name=zone.name), "success")
            return redirect(_plan_url(fair, zone.hall_id))
    return _render(fair, hall_id=zone.hall_id, zone_id=zone.id, zone_form=form, open_section="zone",
                   status=status)


@bp.post("/booths/zones/<int:zone_id>/delete")
@fair_role_required(Role.organizer)
def plan_delete_zone(fair, zone_id: int):
    zone = db.first_or_404(sa.select(Zone).where(Zone.id == zone_id, Zone.fair_id == fair.id))
    hall_id, name = zone.hall_id, zone.name
    if DeleteForm(prefix="delete").validate_on_submit():
        try:
            services.delete_zone(zone, actor=current_user)
        except Refused as refusal:
            flash(refusal.message, "danger")
            return redirect(_plan_url(fair, hall_id, zone=zone_id))
        flash(_("已删除展区“%(name)s”。", name=name), "success")
    return redirect(_plan_url(fair, hall_id))


# --- booths --------------------------------------------------------------------------------------------

def _posted_booth_form(fair, prefix: str) -> tuple[BoothForm, dict[int, Zone]]:
    form = BoothForm(prefix=prefix)
    zones = db.session.scalars(sa.select(Zone).where(Zone.fair_id == fair.id)).all()
    form.zone_id.choices = [SelectChoice(zone.id, zone.name) for zone in zones]
    return form, {zone.id: zone for zone in zones}


def _booth_details(form: BoothForm, zone: Zone) -> services.BoothDetails:
    return services.BoothDetails(form.code.data.strip(), zone.hall_id, zone.id, form.x.data, form.y.data,
                                 form.width.data, form.depth.data, BoothSize(form.size.data), form.corner.data,
                                 form.power.data, form.step_free.data)


@bp.post("/booths/new")
@fair_role_required(Role.organizer)
def plan_add_booth(fair):
    form, zones = _posted_booth_form(fair, "new-booth")
    hall_id = zones[form.zone_id.data].hall_id if form.zone_id.data in zones else request.args.get("hall", type=int)
    status = 400
    if form.validate_on_submit():
        try:
            booth = services.create_booth(fair, _booth_details(form, zones[form.zone_id.data]), actor=current_user)
        except Refused as refusal:
            status = 409
            _show(form, refusal, {form.code.data.strip()})
        else:
            flash(_("已添加展位 %(code)s。", code=booth.code), "success")
            return redirect(_plan_url(fair, booth.hall_id))
    return _render(fair, hall_id=hall_id, new_booth_form=form, open_section="new-booth", status=status)


@bp.post("/booths/<int:booth_id>")
@fair_role_required(Role.organizer)
def plan_edit_booth(fair, booth_id: int):
    booth = db.first_or_404(sa.select(Booth).where(Booth.id == booth_id, Booth.fair_id == fair.id))
    form, zones = _posted_booth_form(fair, "booth")
    conflict = None
    status = 400
    if form.validate_on_submit():
        try:
            services.update_booth(booth, _booth_details(form, zones[form.zone_id.data]), actor=current_user,
                                  version=_version(form.version.data))
        except Refused as refusal:
            db.session.rollback()
            status = 409
            if refusal.code == "conflict":
                # The other person's change stands and shows on the plan; the input stays, against the new
                # version, so saving again is a deliberate choice made having seen it.
                conflict = db.session.get(Booth, booth_id)
                form.version.data = conflict.version if conflict else form.version.data
            _show(form, refusal, {form.code.data.strip()})
        else:
            flash(_("展位 %(code)s 已保存。", code=booth.code), "success")
            return redirect(_plan_url(fair, booth.hall_id, booth=booth.id) + "#booth-edit")
    return _render(fair, hall_id=booth.hall_id, booth_id=booth.id, booth_form=form, conflict=conflict,
                   open_section="booth", status=status)


def _version(text: str | None) -> int | None:
    return whole_number(text)


@bp.post("/booths/<int:booth_id>/delete")
@fair_role_required(Role.organizer)
def plan_delete_booth(fair, booth_id: int):
    booth = db.first_or_404(sa.select(Booth).where(Booth.id == booth_id, Booth.fair_id == fair.id))
    form = DeleteBoothForm(prefix="delete")
    hall_id, code = booth.hall_id, booth.code
    if form.validate_on_submit():
        try:
            services.delete_booth(booth, actor=current_user, version=_version(form.version.data))
        except Refused as refusal:
            db.session.rollback()
            flash(refusal.message, "danger")
            return redirect(_plan_url(fair, hall_id, booth=booth_id) + "#booth-edit")
        flash(_("已删除展位 %(code)s。", code=code), "success")
    return redirect(_plan_url(fair, hall_id))


@bp.post("/booths/copy")
@fair_role_required(Role.organizer)
def plan_copy_row(fair):
    form = CopyRowForm(prefix="copy")
    booths = db.session.scalars(sa.select(Booth).where(Booth.fair_id == fair.id).order_by(Booth.code)).all()
    form.booth_ids.choices = [SelectChoice(booth.id, booth.code) for booth in booths]
    chosen = [booth for booth in booths if booth.id in (form.booth_ids.data or [])]
    hall_id = chosen[0].hall_id if chosen else request.args.get("hall", type=int)
    status = 400
    if form.validate_on_submit():
        try:
            copies = services.copy_booths(fair, chosen, dx=form.dx.data, dy=form.dy.data,
                                          prefix=form.prefix.data.upper(), actor=current_user)
        except Refused as refusal:
            status = 409
            _show(form, refusal, {""} if refusal.field == "booths" else set())
        else:
            flash(_("已复制 %(n)d 个展位：%(codes)s。", n=len(copies), codes="、".join(b.code for b in copies)),
                  "success")
            return redirect(_plan_url(fair, copies[0].hall_id))
    return _render(fair, hall_id=hall_id, copy_form=form, open_section="copy", status=status)


@bp.post("/booths/setup-notes")
@fair_role_required(Role.organizer)
def plan_setup_notes(fair):
    form = SetupNotesForm(prefix="notes")
    if not form.validate_on_submit():
        return _render(fair, notes_form=form, open_section="notes", status=400)
    services.set_setup_notes(fair, form.notes.data or "", actor=current_user)
    flash(_("布展须知已保存。"), "success")
    return redirect(_plan_url(fair, request.args.get("hall", type=int)) + "#setup-notes")


# --- import --------------------------------------------------------------------------------------------

def _category_names(fair) -> dict[str, int]:
    names = {}
    for category in fair.categories:
        names[category.name.lower()] = category.id
        if category.name_en:
            names.setdefault(category.name_en.lower(), category.id)
    return names


def _import_page(fair, form, *, result=None, problems=None, status=200):
    return render_template("booths/plan_import.html", fair=fair, form=form, result=result, problems=problems,
                           columns=importing.COLUMNS), status


@bp.get("/booths/import")
@fair_role_required(Role.organizer)
def plan_import(fair):
    return _import_page(fair, ImportForm())


@bp.post("/booths/import")
@fair_role_required(Role.organizer)
def plan_import_file(fair):
    """Check every row and write all of them, or none and the report of what to fix."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _import_page(fair, form, status=400)
    filename = form.file.data.filename or ""
    parsed = importing.parse_plan(form.file.data.read(), filename, _category_names(fair))
    try:
        result = services.import_plan(fair, parsed, actor=current_user, source=filename)
    except services.ImportRefused as refusal:
        db.session.rollback()
        return _import_page(fair, form, problems=refusal.problems, status=422)
    except Refused as refusal:              # a booth changed by someone else meanwhile
        db.session.rollback()
        form.file.errors.append(refusal.message)
        return _import_page(fair, form, status=409)
    return _import_page(fair, ImportForm(formdata=None), result=result)


def _example(fair) -> list[dict]:
    """Two booths of one zone: the template shows a double booth and the hall's size on its first row."""
    names = [category.name for category in fair.categories[:2]] or ["助老"]
    return [{"hall": "一号馆", "hall_width": 60, "hall_depth": 40, "zone": f"{names[0]}展区",
             "categories": "、".join(names), "colour": "#4e79a7", "code": "A-01", "x": 1, "y": 1, "width": 3,
             "depth": 3, "size": "标准", "corner": "是", "power": "是", "step_free": "是"},
            {"hall": "一号馆", "hall_width": "", "hall_depth": "", "zone": f"{names[0]}展区", "categories": "",
             "colour": "", "code": "A-02", "x": 4, "y": 1, "width": 6, "depth": 3, "size": "双", "corner": "否",
             "power": "是", "step_free": "是"}]


@bp.get("/booths/import/template.csv")
@fair_role_required(Role.organizer)
def plan_import_template_csv(fair):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([column.header for column in importing.COLUMNS])
    for row in _example(fair):
        writer.writerow([row[column.key] for column in importing.COLUMNS])
    return send_file(io.BytesIO(("\ufeff" + buffer.getvalue()).encode("utf-8")), mimetype="text/csv",
                     as_attachment=True, download_name=f"{fair.slug}-plan-template.csv", max_age=0)


@bp.get("/booths/import/template.json")
@fair_role_required(Role.organizer)
def plan_import_template_json(fair):
    first, second = _example(fair)
    flags = {"是": True, "否": False}
    booths = [{"code": row["code"], "x": row["x"], "y": row["y"], "width": row["width"], "depth": row["depth"],
               "size": "double" if row["size"] == "双" else "standard", "corner": flags[row["corner"]],
               "power": flags[row["power"]], "step_free": flags[row["step_free"]]} for row in (first, second)]
    document = {"halls": [{"name": first["hall"], "width": 60, "depth": 40, "zones": [{
        "name": first["zone"], "colour": first["colour"], "categories": first["categories"].split("、"),
        "booths": booths}]}]}
    content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    return send_file(io.BytesIO(content), mimetype="application/json", as_attachment=True,
                     download_name=f"{fair.slug}-plan-template.json", max_age=0)

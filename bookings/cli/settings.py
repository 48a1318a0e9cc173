"""What Settings does: staff, services, service-categories, categories, interval, and
the change log (`changes`), through the same functions (bookings.admin.settings); each
change is recorded in the settings change log."""

from __future__ import annotations

from bookings import auth, catalog
from bookings.admin import changelog, settings
from bookings.cli.common import (
    ITEM_ID,
    READ_ONLY,
    ROW_LIMIT,
    Commands,
    arg,
    emit,
    table,
    user_flag,
)
from bookings.errors import Refused
from bookings.model import BOOKING_INTERVALS_MIN
from bookings.store import Connection

commands = Commands()

SETTINGS_ACTOR = user_flag("who changes it (needs the settings right)", required=True)
ID = arg("id", type=ITEM_ID, metavar="ID")


def _actor(con: Connection, args):
    return auth.require_user(con, args.user)


# --- staff -------------------------------------------------------------------------

commands.group("staff", "employees (Settings > Staff)")


def _employee_text(employee: dict) -> str:
    return (f"Employee {employee['id']}: {employee['name']}"
            + (f" ({employee['specialization']})" if employee["specialization"] else "")
            + ("" if employee["active"] else ", deactivated"))


def _emit_employee(args, employee: dict) -> None:
    emit(args, {"employee": employee}, _employee_text(employee))


@commands.add("staff", "add", help="add an employee; prints their ID", arguments=(
    SETTINGS_ACTOR, arg("name", metavar="NAME"), arg("--specialization", metavar="S")))
def staff_add(args, con: Connection) -> None:
    _emit_employee(args, settings.add_staff(con, _actor(con, args), args.name,
                                            args.specialization or ""))


@commands.add("staff", "rename", help="rename an employee", arguments=(
    SETTINGS_ACTOR, ID, arg("name", metavar="NAME"), arg("--specialization", metavar="S")))
def staff_rename(args, con: Connection) -> None:
    _emit_employee(args, settings.rename_staff(con, _actor(con, args), args.id, args.name,
                                               args.specialization))


@commands.add("staff", "deactivate", help="deactivate an employee; bookings keep them",
              arguments=(SETTINGS_ACTOR, ID))
def staff_deactivate(args, con: Connection) -> None:
    _emit_employee(args, settings.set_staff_active(con, _actor(con, args), args.id, False))


@commands.add("staff", "activate", help="reactivate an employee", arguments=(SETTINGS_ACTOR, ID))
def staff_activate(args, con: Connection) -> None:
    _emit_employee(args, settings.set_staff_active(con, _actor(con, args), args.id, True))


@commands.add("staff", "remove", help="delete an employee without bookings; one with bookings "
              "is deactivated instead", arguments=(SETTINGS_ACTOR, ID))
def staff_remove(args, con: Connection) -> None:
    outcome = settings.remove_staff(con, _actor(con, args), args.id)
    emit(args, {"id": args.id, "outcome": outcome}, f"Employee {args.id} {outcome}.")


# --- services ------------------------------------------------------------------------
# (`services import` is an upload: bookings/cli/uploads.py)

commands.group("services", "services (Settings > Services)")


def _service_json(service: dict) -> dict:
    """The shape of `catalog --json`."""
    return {**{k: v for k, v in service.items() if k != "duration_min"},
            "duration_s": service["duration_min"] * 60}


def _service_text(service: dict) -> str:
    return (f"Service {service['id']}: {service['title']}, {service['price']:f}, "
            f"{service['duration_min']} min" + ("" if service["active"] else ", deactivated"))


def _emit_service(args, service: dict) -> None:
    emit(args, {"service": _service_json(service)}, _service_text(service))


@commands.add("services", "add",
              help="add a service; its category by ID or title (a new title is created)",
              arguments=(SETTINGS_ACTOR, arg("title", metavar="TITLE"),
                         arg("--category", required=True, metavar="C"),
                         arg("--price", required=True, metavar="P"),
                         arg("--duration-min", required=True, type=int, metavar="M",
                             help="a multiple of 5 minutes")))
def services_add(args, con: Connection) -> None:
    service, created = settings.add_service_in_category(
        con, _actor(con, args), args.title, args.category, args.price, args.duration_min)
    emit(args, {"service": _service_json(service), "category_created": created},
         _service_text(service) + ("; its category was created" if created else ""))


@commands.add("services", "edit", help="change what is given of a service", arguments=(
    SETTINGS_ACTOR, ID, arg("--title", metavar="T"),
    arg("--category", metavar="C", help="ID or title of an existing category"),
    arg("--price", metavar="P"), arg("--duration-min", type=int, metavar="M")))
def services_edit(args, con: Connection) -> None:
    actor, category = _actor(con, args), None
    if args.category is not None:
        category = settings.service_category_id(con, args.category)
        if category is None:
            raise Refused(f"There is no service category {args.category!r}.")
    _emit_service(args, settings.update_service(con, actor, args.id, title=args.title,
                                                category_id=category, price=args.price,
                                                duration_min=args.duration_min))


@commands.add("services", "deactivate", help="deactivate a service",
              arguments=(SETTINGS_ACTOR, ID))
def services_deactivate(args, con: Connection) -> None:
    _emit_service(args, settings.set_service_active(con, _actor(con, args), args.id, False))


@commands.add("services", "activate", help="activate a service", arguments=(SETTINGS_ACTOR, ID))
def services_activate(args, con: Connection) -> None:
    _emit_service(args, settings.set_service_active(con, _actor(con, args), args.id, True))


# --- service categories --------------------------------------------------------------

commands.group("service-categories", "service categories")


def _emit_service_category(args, category: dict) -> None:
    emit(args, {"service_category": category},
         f"Service category {category['id']}: {category['title']}")


@commands.add("service-categories", "add", help="add a service category",
              arguments=(SETTINGS_ACTOR, arg("title", metavar="TITLE")))
def service_categories_add(args, con: Connection) -> None:
    _emit_service_category(args, settings.add_service_category(con, _actor(con, args),
                                                               args.title))


@commands.add("service-categories", "rename", help="rename a service category",
              arguments=(SETTINGS_ACTOR, ID, arg("title", metavar="TITLE")))
def service_categories_rename(args, con: Connection) -> None:
    _emit_service_category(args, settings.rename_service_category(con, _actor(con, args),
                                                                  args.id, args.title))


# --- booking categories -----------------------------------------------------------------

commands.group("categories", "booking categories (labels)")


def _emit_booking_category(args, category: dict) -> None:
    emit(args, {"booking_category": category},
         f"Booking category {category['id']}: {category['title']} {category['color']}")


@commands.add("categories", "add", help="add a booking category", arguments=(
    SETTINGS_ACTOR, arg("title", metavar="TITLE"),
    arg("--color", required=True, metavar="#HEX")))
def categories_add(args, con: Connection) -> None:
    _emit_booking_category(args, settings.add_booking_category(con, _actor(con, args),
                                                               args.title, args.color))


@commands.add("categories", "edit", help="rename or recolour (a built-in one: colour only)",
              arguments=(SETTINGS_ACTOR, ID, arg("--title", metavar="T"),
                         arg("--color", metavar="#HEX")))
def categories_edit(args, con: Connection) -> None:
    _emit_booking_category(args, settings.update_booking_category(
        con, _actor(con, args), args.id, title=args.title, color=args.color))


@commands.add("categories", "remove",
              help="remove a category of the salon's own that no booking carries",
              arguments=(SETTINGS_ACTOR, ID))
def categories_remove(args, con: Connection) -> None:
    category = settings.remove_booking_category(con, _actor(con, args), args.id)
    emit(args, {"removed": category}, f"Booking category {category['title']} removed.")


# --- the booking interval ------------------------------------------------------------------

commands.group("interval", "the booking interval (slot length)")


@commands.add("interval", "show", help="the booking interval in minutes", store=READ_ONLY)
def interval_show(args, con: Connection) -> None:
    minutes = catalog.catalog(con)["booking_interval_min"]
    emit(args, {"booking_interval_min": minutes}, f"Booking interval: {minutes} minutes")


@commands.add("interval", "set", help="5, 10 or 15 minutes; uploads round visit times to it",
              arguments=(SETTINGS_ACTOR, arg("minutes", type=int, choices=BOOKING_INTERVALS_MIN,
                                             metavar="5|10|15")))
def interval_set(args, con: Connection) -> None:
    settings.set_booking_interval(con, _actor(con, args), args.minutes)
    interval_show(args, con)


# --- the change log ------------------------------------------------------------------------


@commands.add("changes", help="the settings change log, newest first", store=READ_ONLY,
              arguments=(arg("--subject", choices=changelog.SUBJECTS),
                         arg("--limit", type=ROW_LIMIT, default=500, metavar="N")))
def changes(args, con: Connection) -> None:
    entries = changelog.entries(con, subject=args.subject, limit=args.limit)
    rows = [{**e, "at": f"{e['at']:%Y-%m-%d %H:%M:%S}", "by": e["actor"] or "command line",
             "change": changelog.in_words(e)} for e in entries]
    emit(args, {"changes": entries},
         table(rows, ["at", "by", "subject", "subject_name", "action", "change"]))

"""`users ...`: users, their rights, viewing period, employee and scope, sign-in and
sessions, through bookings.admin.users (each change in the settings change log).
Without --user, whoever runs the command acts (they can read the file anyway)."""

from __future__ import annotations

from bookings import auth, catalog, listing
from bookings.admin import users as user_admin
from bookings.cli.common import (
    ITEM_ID,
    READ_ONLY,
    Commands,
    acting_user,
    arg,
    emit,
    shortened,
    stdin_of,
    table,
    user_flag,
)
from bookings.errors import Refused
from bookings.model import Role, Scope, User
from bookings.store import Connection
from bookings.uploads.batch import plural

commands = Commands()
commands.group("users", "users and their rights")

ACTOR = user_flag("act as this user (needs the settings right)")
LOGIN = arg("login")
PASSWORD_STDIN = arg("--password-stdin", action="store_true",
                     help="read the password from standard input (else one is generated)")


def _password_given(args) -> str | None:
    return stdin_of(args).readline().rstrip("\n") if args.password_stdin else None


def _emit_with_password(args, document: dict, human: str, generated: str | None) -> None:
    """A generated password is shown once, in the document and the words."""
    if generated:
        document["password"] = generated
        human += f"\nPassword (shown once): {generated}"
    emit(args, document, human)


def _rights_words(user: User) -> str:
    return ", ".join(sorted(r.value for r in user.rights)) or "no rights"


@commands.add("users", "add", help="add a user", arguments=(
    ACTOR, LOGIN, arg("--role", required=True, choices=["owner", "administrator", "employee"]),
    arg("--name"), arg("--email"), PASSWORD_STDIN))
def users_add(args, con: Connection) -> None:
    actor = acting_user(con, args)
    user, generated = user_admin.add_user(
        con, actor, args.login, auth.parse_role(args.role),
        name=args.name or "", email=args.email or "", password=_password_given(args),
    )
    _emit_with_password(args, {"user": user.as_json()},
                        f"User {user.login} ({user.role.value}) added.", generated)


@commands.add("users", "list", help="users with their rights", store=READ_ONLY)
def users_list(args, con: Connection) -> None:
    users = [u.as_json() for u in auth.list_users(con)]
    staff = catalog.staff_names(con)
    shown = [{**u, "viewing_period": "unlimited" if u["viewing_period_days"] is None
              else f"{u['viewing_period_days']} days",
              "employee": "" if u["staff_id"] is None
              else f"{staff.get(u['staff_id'], '?')} ({u['staff_id']})"} for u in users]
    emit(args, {"users": users},
         table(shown, ["login", "name", "role", "active", "viewing_period", "employee", "scope",
                       "rights"]))


# --- rights and what the user sees -------------------------------------------------------

RIGHTS = arg("rights", nargs="+", metavar="RIGHT")


def _emit_rights(args, user: User) -> None:
    emit(args, {"user": user.as_json()}, f"{user.login} now has: {_rights_words(user)}")


@commands.add("users", "grant", help="grant rights", arguments=(ACTOR, LOGIN, RIGHTS))
def users_grant(args, con: Connection) -> None:
    rights = auth.parse_rights(args.rights)
    _emit_rights(args, user_admin.grant(con, acting_user(con, args), args.login, rights))


@commands.add("users", "revoke", help="revoke rights", arguments=(ACTOR, LOGIN, RIGHTS))
def users_revoke(args, con: Connection) -> None:
    rights = auth.parse_rights(args.rights)
    _emit_rights(args, user_admin.revoke(con, acting_user(con, args), args.login, rights))


@commands.add("users", "period", help="set the viewing period: DAYS or 'unlimited'",
              arguments=(ACTOR, LOGIN, arg("days", metavar="DAYS")))
def users_period(args, con: Connection) -> None:
    days = None if args.days == "unlimited" else _days(args.days)
    user = user_admin.set_viewing_period(con, acting_user(con, args), args.login, days)
    words = "unlimited" if days is None else f"{days} days"
    emit(args, {"user": user.as_json()}, f"{user.login} may now see bookings of: {words}")


def _days(text: str) -> int:
    limit = user_admin.MAX_VIEWING_PERIOD_DAYS
    if not (text.isascii() and text.isdigit()) or int(text) > limit:
        raise Refused(f"{shortened(text)!r} is not a number of days from 0 to {limit:,} "
                      "(or 'unlimited').")
    return int(text)


def _emit_link(args, con: Connection, user: User) -> None:
    if user.staff_id is None:
        human = f"{user.login} is not linked to an employee."
    else:
        name = catalog.staff_names(con).get(user.staff_id, "?")
        human = f"{user.login} is employee {user.staff_id}, {name}."
    if listing.scope_notice(user):
        human += " They see own bookings only, so they see none until linked."
    emit(args, {"user": user.as_json()}, human)


@commands.add("users", "link",
              help="link the user to the employee they are (IDs: `bookings catalog`)",
              arguments=(ACTOR, LOGIN, arg("staff_id", type=ITEM_ID, metavar="STAFF_ID")))
def users_link(args, con: Connection) -> None:
    _emit_link(args, con, user_admin.link(con, acting_user(con, args), args.login, args.staff_id))


@commands.add("users", "unlink", help="the user is no longer linked to an employee",
              arguments=(ACTOR, LOGIN))
def users_unlink(args, con: Connection) -> None:
    _emit_link(args, con, user_admin.link(con, acting_user(con, args), args.login, None))


@commands.add("users", "scope", help="which bookings the user sees: all, or own (made to "
              "their linked employee)", arguments=(
                  ACTOR, LOGIN, arg("scope", choices=[s.value for s in Scope], metavar="all|own")))
def users_scope(args, con: Connection) -> None:
    user = user_admin.set_scope(con, acting_user(con, args), args.login, args.scope)
    human = f"{user.login} now sees {Scope(user.scope).description}."
    if listing.scope_notice(user):
        human += " They are not linked to an employee, so they see none: `users link` them."
    emit(args, {"user": user.as_json()}, human)


# --- sign-in: allowed or not, the role, the password, sessions ---------------------------


@commands.add("users", "deactivate", help="refuse the user's sign-in; their history stays",
              arguments=(ACTOR, LOGIN))
def users_deactivate(args, con: Connection) -> None:
    user = user_admin.set_active(con, acting_user(con, args), args.login, False)
    emit(args, {"user": user.as_json()}, f"{user.login} deactivated.")


@commands.add("users", "activate", help="allow a deactivated user to sign in again",
              arguments=(ACTOR, LOGIN))
def users_activate(args, con: Connection) -> None:
    user = user_admin.set_active(con, acting_user(con, args), args.login, True)
    emit(args, {"user": user.as_json()}, f"{user.login} activated.")


@commands.add("users", "role", help="set the role and its preset of rights",
              arguments=(ACTOR, LOGIN, arg("role", choices=[r.value for r in Role])))
def users_role(args, con: Connection) -> None:
    user = user_admin.set_role(con, acting_user(con, args), args.login, auth.parse_role(args.role))
    emit(args, {"user": user.as_json()},
         f"{user.login} is now {user.role.value}: {_rights_words(user)}")


@commands.add("users", "reset-password", help="a new password, generated and printed once",
              arguments=(ACTOR, LOGIN, PASSWORD_STDIN))
def users_reset_password(args, con: Connection) -> None:
    password = _password_given(args)
    generated = user_admin.reset_password(con, acting_user(con, args), args.login, password)
    _emit_with_password(args, {"login": args.login}, f"Password of {args.login} reset.",
                        generated)


@commands.add("users", "sign-out-everywhere", help="end every session of the user: each of "
              "their browsers is signed out at its next click", arguments=(ACTOR, LOGIN))
def users_sign_out_everywhere(args, con: Connection) -> None:
    ended = user_admin.sign_out_everywhere(con, acting_user(con, args), args.login)
    emit(args, {"login": args.login, "sessions_ended": ended},
         f"{args.login}: {plural(ended, 'signed-in session')} ended.")


@commands.add("users", "unthrottle",
              help="forget the user's failed sign-ins, so they may try at once",
              arguments=(ACTOR, LOGIN))
def users_unthrottle(args, con: Connection) -> None:
    cleared = user_admin.unthrottle(con, acting_user(con, args), args.login)
    emit(args, {"login": args.login, "failures_forgotten": cleared},
         f"{args.login} may sign in again at once ({cleared:,} failed sign-ins forgotten).")

"""The `omi` command: serve, migrate, manage accounts, load demo data, upload."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlmodel import Session

from app.errors import AppError


def _session() -> Session:
    from app.db import get_engine

    return Session(get_engine(), expire_on_commit=False)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    if settings.webhook_worker and not args.no_worker:
        from app.cli.worker import start_in_background

        # One delivery worker per `omi serve`, beside however many HTTP workers it starts.
        start_in_background(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        server_header=False,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from app.cli.worker import run_in_foreground
    from app.config import get_settings
    from app.logs import configure_logging

    settings = get_settings()
    configure_logging(settings.log_level)
    return run_in_foreground(settings, once=args.once)


def cmd_db_upgrade(_: argparse.Namespace) -> int:
    from app.config import get_settings
    from app.migrate import upgrade
    from app.services.reference.loader import load_reference_data

    upgrade(get_settings().database_url)
    with _session() as session:
        counts = load_reference_data(session)
        session.commit()
    print("database is up to date; reference data changed: " + json.dumps(counts))
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    from app.auth.accounts import create_user
    from app.services.audit import service as audit

    if not args.password_stdin:
        print("pass the password on standard input with --password-stdin", file=sys.stderr)
        return 2
    password = sys.stdin.readline().rstrip("\r\n")
    with _session() as session:
        user = create_user(session, args.username, password, args.role, args.trust)
        audit.record(
            session,
            "system:cli",
            "user.created",
            "user",
            user.id,
            None,
            {"username": user.username, "roles": user.roles, "trust": user.trust_code},
        )
        session.commit()
    print(f"user {args.username} created with roles {', '.join(args.role)}")
    return 0


def cmd_clients_add(args: argparse.Namespace) -> int:
    from app.auth.accounts import create_client
    from app.services.audit import service as audit

    with _session() as session:
        client, secret = create_client(session, args.client_id, args.role, args.trust)
        audit.record(
            session,
            "system:cli",
            "client.created",
            "client",
            client.id,
            None,
            {"client_id": client.client_id, "roles": client.roles, "trust": client.trust_code},
        )
        session.commit()
    print(f"client {args.client_id} created; its secret is shown once, store it now:")
    print(secret)
    return 0


def cmd_demo(_: argparse.Namespace) -> int:
    from app.cli.demo import load_demo
    from app.config import get_settings

    if not get_settings().is_development:
        print(
            "omi demo creates well-known demo passwords; run it with OMI_ENV=development",
            file=sys.stderr,
        )
        return 2
    with _session() as session:
        summary = load_demo(session)
        session.commit()
    print(summary)
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    from app.main import ConfigurationError, create_app

    try:
        app = create_app()
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    document = json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"
    if args.output == "-":
        sys.stdout.write(document)
    else:
        Path(args.output).write_text(document)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from app.auth.permissions import Role
    from app.cli.upload import add_upload_parser

    parser = argparse.ArgumentParser(prog="omi", description="OMI service")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-worker",
        action="store_true",
        help="do not run the webhook delivery worker in this process (see `omi worker`)",
    )
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help="run the webhook delivery worker alone")
    worker.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    worker.set_defaults(handler=cmd_worker)

    db = commands.add_parser("db", help="database tasks").add_subparsers(
        dest="db_command", required=True, metavar="COMMAND"
    )
    db.add_parser("upgrade", help="apply migrations, then load reference data").set_defaults(
        handler=cmd_db_upgrade
    )

    roles = [role.value for role in Role]
    users = commands.add_parser("users", help="user accounts").add_subparsers(
        dest="users_command", required=True, metavar="COMMAND"
    )
    add_user = users.add_parser("add", help="create a user account")
    add_user.add_argument("username")
    add_user.add_argument("--role", action="append", required=True, choices=roles)
    add_user.add_argument("--trust", help="trust code (trust role only)")
    add_user.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    add_user.set_defaults(handler=cmd_users_add)

    clients = commands.add_parser("clients", help="service clients").add_subparsers(
        dest="clients_command", required=True, metavar="COMMAND"
    )
    add_client = clients.add_parser("add", help="create a service client and print its secret once")
    add_client.add_argument("client_id")
    add_client.add_argument("--role", action="append", required=True, choices=roles)
    add_client.add_argument("--trust", help="trust code (trust role only)")
    add_client.set_defaults(handler=cmd_clients_add)

    commands.add_parser("demo", help="create demo users and a demo inspection").set_defaults(
        handler=cmd_demo
    )

    openapi = commands.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", default="openapi/openapi.json")
    openapi.set_defaults(handler=cmd_openapi)

    add_upload_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "upload":
        from app.cli.upload import run_upload

        return run_upload(args)
    try:
        return int(args.handler(args))
    except AppError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        for fault in exc.errors or []:
            print(f"  {fault}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

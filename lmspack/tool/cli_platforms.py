"""`lmspack platform ...`: the platforms (LMS sites) that may launch the tool.

lmspack platform add --name NAME --issuer URL --client-id ID ...   by hand
lmspack platform invite [--name NAME] [--expires-hours 24]         a registration URL
lmspack platform invites                                           invites and outcomes
lmspack platform list | remove PLATFORM | add-deployment PLATFORM ID
"""

from __future__ import annotations

import click

from .cli_common import db_option, load_config, open_store


@click.group("platform")
def platform_group() -> None:
    """Register learning platforms (e.g. a Moodle site) with the tool."""


@platform_group.command("add")
@click.option("--name", required=True, help="A name for people, e.g. 'Acme Moodle'.")
@click.option("--issuer", required=True, help="The platform's issuer (Moodle: its site URL).")
@click.option("--client-id", required=True)
@click.option("--deployment-id", "deployment_ids", multiple=True, help="Repeatable.")
@click.option("--auth-url", required=True, help="OIDC auth URL (Moodle: /mod/lti/auth.php).")
@click.option("--token-url", required=True, help="Token URL (Moodle: /mod/lti/token.php).")
@click.option("--jwks-url", required=True, help="Public keyset URL (Moodle: /mod/lti/certs.php).")
@click.option("--audience", default=None, help="Token endpoint audience, if not the token URL.")
@db_option
def platform_add(
    name, issuer, client_id, deployment_ids, auth_url, token_url, jwks_url, audience, database_url
) -> None:
    """Register a platform (issuer + client id) and its deployment(s)."""
    from ..store.platforms import PlatformError, add_platform

    store = open_store(database_url)
    try:
        with store.transaction() as s:
            p = add_platform(
                s,
                name=name,
                issuer=issuer,
                client_id=client_id,
                auth_login_url=auth_url,
                auth_token_url=token_url,
                key_set_url=jwks_url,
                deployment_ids=list(deployment_ids),
                auth_audience=audience,
            )
            click.echo(f"Added platform #{p.id} {p.name} ({p.issuer}, client {p.client_id})")
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from exc


@platform_group.command("invite")
@click.option(
    "--name",
    default=None,
    help="The organisation, e.g. 'Acme Council': the platform registered with the invite gets "
    "this name, and certificates name it.",
)
@click.option(
    "--expires-hours",
    type=float,
    default=24,
    show_default=True,
    help="How long the invite can be used (once).",
)
@click.option("--base-url", default=None, help="The tool's public URL (default $LMSPACK_BASE_URL).")
@db_option
def platform_invite(name, expires_hours, base_url, database_url) -> None:
    """Make a single-use registration URL for a platform's administrator to paste (Moodle:
    Manage tools › Tool URL › Add LTI Advantage)."""
    from ..store import invites

    base = (base_url or load_config().base_url).rstrip("/")
    if not base:
        raise click.ClickException(
            "Set LMSPACK_BASE_URL (or --base-url): the invite is a URL of the tool."
        )
    store = open_store(database_url)
    try:
        with store.transaction() as s:
            token, invite = invites.create(s, name=name, hours=expires_hours)
            expires = f"{invite.expires_at:%Y-%m-%d %H:%M} UTC"
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{base}/lti/register?invite={token}")
    label = f" for {invite.name!r}" if invite.name else ""
    click.echo(
        f"Invite #{invite.id}{label}: registers one platform, once, until {expires}. "
        "Give the URL to the platform's administrator only; it is not shown again.",
        err=True,
    )


@platform_group.command("invites")
@db_option
def platform_invites(database_url) -> None:
    """List registration invites: open, used (with what came of it) or expired."""
    from ..store import invites
    from ..store.models import utcnow

    store = open_store(database_url)
    with store.transaction() as s:
        rows = invites.list_invites(s)
        now = utcnow()
        if not rows:
            click.echo("No invites. Make one with `lmspack platform invite --name NAME`.")
        for inv in rows:
            state = invites.state_of(inv, now)
            if state == "used":
                state = f"used {inv.used_at:%Y-%m-%d %H:%M} UTC: {inv.outcome or 'in progress'}"
            elif state == "valid":
                state = f"open until {inv.expires_at:%Y-%m-%d %H:%M} UTC"
            else:
                state = f"expired {inv.expires_at:%Y-%m-%d %H:%M} UTC"
            label = inv.name or "(unnamed)"
            click.echo(f"#{inv.id} {label}  made {inv.created_at:%Y-%m-%d %H:%M} UTC  {state}")


@platform_group.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
def platform_list(as_json: bool, database_url: str | None) -> None:
    """List registered platforms and their deployments."""
    import json

    from ..store.platforms import how_added, list_platforms

    store = open_store(database_url)
    with store.transaction() as s:
        rows = [
            {
                "id": p.id,
                "name": p.name,
                "issuer": p.issuer,
                "client_id": p.client_id,
                "auth_url": p.auth_login_url,
                "token_url": p.auth_token_url,
                "jwks_url": p.key_set_url,
                "deployments": [d.deployment_id for d in p.deployments],
                "added_via": p.added_via,
                "invite_name": p.invite_name,
                "added_at": p.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "added": how_added(p),
            }
            for p in list_platforms(s)
        ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo(
            "No platforms registered. Add one with `lmspack platform add`, or make an "
            "invite for dynamic registration with `lmspack platform invite`."
        )
    for r in rows:
        click.echo(f"#{r['id']} {r['name']}")
        click.echo(f"    issuer {r['issuer']}  client {r['client_id']}")
        click.echo(f"    deployments {', '.join(r['deployments']) or '(none)'}")
        click.echo(f"    {r['added']}")


@platform_group.command("remove")
@click.argument("platform")
@click.option("--yes", is_flag=True, help="Do not ask.")
@db_option
def platform_remove(platform: str, yes: bool, database_url: str | None) -> None:
    """Remove PLATFORM (id or name) with ALL its users, attempts and grades."""
    from ..store.platforms import PlatformError, get_platform

    store = open_store(database_url)
    try:
        with store.transaction() as s:
            p = get_platform(s, platform)
            if not yes:
                click.confirm(f"Remove #{p.id} {p.name} and all its learners' data?", abort=True)
            s.delete(p)
            click.echo(f"Removed platform #{p.id} {p.name}")
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from exc


@platform_group.command("add-deployment")
@click.argument("platform")
@click.argument("deployment_id")
@db_option
def platform_add_deployment(platform: str, deployment_id: str, database_url: str | None) -> None:
    """Allow launches from DEPLOYMENT_ID of PLATFORM (id or name)."""
    from ..store.platforms import PlatformError, add_deployment, get_platform

    store = open_store(database_url)
    try:
        with store.transaction() as s:
            p = get_platform(s, platform)
            add_deployment(s, p, deployment_id)
            click.echo(f"Platform #{p.id} {p.name}: deployment {deployment_id} allowed")
    except PlatformError as exc:
        raise click.ClickException(str(exc)) from exc

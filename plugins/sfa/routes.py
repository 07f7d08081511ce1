"""SFA's HTTP routes: ``GET /sfa/quotes/{id}.pdf``, a quote as a PDF for whoever may read it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from unicrm.core.authz.access import Access
from unicrm.core.authz.authenticate import authenticate, request_department
from unicrm.core.errors import DomainError, Forbidden, NotFound, Unauthenticated
from unicrm.core.graph.context import Actor
from unicrm.core.graph.customers.models import Customer
from unicrm.core.graph.departments.services import DepartmentInfo
from unicrm.core.graph.ids import InvalidGlobalId, from_global_id
from unicrm.core.state import AppState
from unicrm.plugins.sfa.models import Deal
from unicrm.plugins.sfa.services import quote_pdf, quotes

PERMISSION = "sfa.quote"


@dataclass(frozen=True, slots=True)
class _Caller:
    """What row scopes need to know of the caller."""

    access: Access
    department: DepartmentInfo
    actor: Actor


def _error(status: int, code: str, message: str) -> Response:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def _quote_pk(global_id: str) -> uuid.UUID | None:
    try:
        type_name, pk = from_global_id(global_id)
    except InvalidGlobalId:
        return None
    return pk if type_name == "Quote" else None


async def quote_pdf_route(request: Request) -> Response:
    state: AppState = request.app.state.unicrm
    try:
        actor = await authenticate(request, state)
        if actor.kind == "anonymous":
            raise Unauthenticated("sign in to download quotes")
        department = await request_department(request, state, actor)
    except Unauthenticated as exc:
        return _error(401, exc.code, exc.message)
    except (Forbidden, NotFound) as exc:
        return _error(403 if isinstance(exc, Forbidden) else 404, exc.code, exc.message)
    caller = _Caller(Access(state.authz, actor.subject, department.slug), department, actor)
    if "sfa" not in department.plugins or not caller.access.allowed(PERMISSION, "read"):
        return _error(403, "FORBIDDEN", f"downloading quotes needs {PERMISSION}:read")
    pk = _quote_pk(request.path_params["quote_id"])
    if pk is None:
        return _error(400, "BAD_REQUEST", "not the id of a Quote")
    async with state.db.session() as session:
        try:
            quote = await quotes.get_quote(session, pk, quotes.visible_to(caller))
        except DomainError:
            return _error(404, "NOT_FOUND", "no such quote")
        lines = await quotes.lines_of(session, quote.id)
        deal = await session.get_one(Deal, quote.deal_id)
        customer = await session.get_one(Customer, quote.customer_id)
    body = quote_pdf.render(quote, lines, customer.display_name, deal.title)
    name = f"quote-{quote.family_id}-v{quote.version}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


ROUTES = [Route("/sfa/quotes/{quote_id}.pdf", quote_pdf_route, methods=["GET"])]

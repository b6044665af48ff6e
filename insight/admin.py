"""Staff insight: a page beside the event log, /admin/shop/event/insight/."""

from django.template.response import TemplateResponse

from insight import reports
from shop.admin import StaffPage, register_staff_page


def insight_view(request, context: dict):
    try:
        hours = max(1, min(int(request.GET.get("hours", 24)), 24 * 90))
    except ValueError:
        hours = 24
    context.update(reports.build(hours=hours))
    return TemplateResponse(request, "admin/insight/insight.html", context)


register_staff_page(
    StaffPage(
        name="insight",
        title="Insight",
        summary="events per day, cart funnel, abandoned carts, most removed products",
        view=insight_view,
    )
)

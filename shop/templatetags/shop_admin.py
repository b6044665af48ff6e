"""A date hierarchy for the event list drawn from the calendar, not from the rows.

Django's own drill-down asks the database for the DISTINCT years, months or days present
(a scan of the whole table on a large log). This one asks only for the first and last
date (two index lookups) and lists the calendar's years, months or days between them.
"""

import calendar
import datetime

from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def calendar_date_hierarchy(cl):
    field_name = cl.date_hierarchy
    year = cl.params.get(f"{field_name}__year")
    month = cl.params.get(f"{field_name}__month")
    day = cl.params.get(f"{field_name}__day")
    if isinstance(year, list):  # Django 5+ keeps every value of a parameter
        year, month, day = (v[-1] if v else None for v in (year, month, day))
    if year and month and day:
        return date_hierarchy(cl)  # no query at this level

    def link(filters):
        return cl.get_query_string(filters, [f"{field_name}__"])

    year_field, month_field, day_field = (f"{field_name}__{p}" for p in ("year", "month", "day"))
    if year and month:
        first_day = datetime.date(int(year), int(month), 1)
        days = calendar.monthrange(first_day.year, first_day.month)[1]
        return {
            "show": True,
            "back": {"link": link({year_field: year}), "title": str(year)},
            "choices": [
                {
                    "link": link({year_field: year, month_field: month, day_field: d}),
                    "title": capfirst(
                        formats.date_format(first_day.replace(day=d), "MONTH_DAY_FORMAT")
                    ),
                }
                for d in range(1, days + 1)
            ],
            "field_name": cl.model._meta.get_field(field_name).verbose_name,
        }
    if year:
        return {
            "show": True,
            "back": {"link": link({}), "title": "All dates"},
            "choices": [
                {
                    "link": link({year_field: year, month_field: m}),
                    "title": capfirst(
                        formats.date_format(datetime.date(int(year), m, 1), "YEAR_MONTH_FORMAT")
                    ),
                }
                for m in range(1, 13)
            ],
            "field_name": cl.model._meta.get_field(field_name).verbose_name,
        }
    span = cl.queryset.aggregate(first=models.Min(field_name), last=models.Max(field_name))
    if not span["first"]:
        return {"show": False}
    first, last = (timezone.localtime(span[k]) for k in ("first", "last"))
    return {
        "show": True,
        "back": None,
        "choices": [
            {"link": link({year_field: str(y)}), "title": str(y)}
            for y in range(first.year, last.year + 1)
        ],
        "field_name": cl.model._meta.get_field(field_name).verbose_name,
    }


@register.simple_tag
def staff_pages():
    """The pages apps add beside the event log (shop.admin.register_staff_page)."""
    from shop.admin import STAFF_PAGES

    return list(STAFF_PAGES.values())

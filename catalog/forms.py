from django import forms

MAX_SEARCH = 100


class CatalogFilterForm(forms.Form):
    """The home page's query string. Django's CharField refuses NUL characters."""

    q = forms.CharField(required=False, max_length=MAX_SEARCH, strip=True)
    category = forms.SlugField(
        required=False,
        max_length=60,
        error_messages={"invalid": "There is no such category."},
    )

    @classmethod
    def from_query(cls, params) -> "CatalogFilterForm":
        return cls(
            {
                "q": params.get("q", "")[:MAX_SEARCH],
                "category": params.get("category", "")[:60],
            }
        )

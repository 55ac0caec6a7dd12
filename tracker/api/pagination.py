"""Pagination of every list: ?page=N&page_size=M (at most 500 rows a page), one shape:
{"count", "next", "previous", "results"}. A page that is not a positive whole number, or
a page_size that is not one from 1 to 500, is a 400 naming it, also for a CSV (which is
never paginated); a page past the last is a 404."""

from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()  # not documented: "last" is not a whole number

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param)
        if value is None or value == "":
            return self.page_size
        try:
            size = int(value)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({self.page_size_query_param: ["A page size is a whole number from 1 to 500."]})
        return min(size, self.max_page_size)

    def get_page_number(self, request, paginator):
        value = request.query_params.get(self.page_query_param)
        if value is None or value == "":
            return super().get_page_number(request, paginator)
        if not value.isascii() or not value.isdigit() or int(value) < 1:
            raise ValidationError({self.page_query_param: ["A page is a whole number from 1."]})
        return value

    def check_query(self, request) -> None:
        """A 400 for a malformed page or page_size, where nothing is paginated (a CSV)."""
        self.get_page_size(request)
        self.get_page_number(request, paginator=None)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
            elif parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


__all__ = ["NotFound", "Pagination"]

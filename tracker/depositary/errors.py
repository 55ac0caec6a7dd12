"""The two ways a page can fail to be read. Messages are meant for the person who saved
or pasted the page, so they name what is missing in the page's own terms."""


class PageError(Exception):
    """A status page that cannot be read: something the parser needs is missing."""


class NotAStatusPage(PageError):
    """HTML that is not a UNTC status page at all (another page, an error page, …)."""

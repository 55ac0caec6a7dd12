"""Who may do what through the API: the admin roles' model permissions, for token holders."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly


class ModelPermissionsOrReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """Anyone reads; writing needs a token whose user has the model permission
    (add_, change_ or delete_), as in the admin: editors record actions, viewers read."""

    # The schema's security (tracker.api.schema.TrackerSchema.get_auth): reads need no token.
    anonymous_reads = True

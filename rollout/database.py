"""The tooling's own tables: a metadata apart from the backend's (``backend.database``).

The route audit and the dashboard's accounts are declared on ``Base`` here; shadow's parity
store has its own Core metadata (``shadow.schema``), and so has the proxy's route traffic
(``proxy.traffic``). ``TOOLING_METADATA`` is every table the
tooling owns, which migrations/ compares with the database next to the backend's. Queries go
through the one Flask-SQLAlchemy session (``backend.database.db``): it binds any mapped class
to the app's engine.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

from dbtypes import NAMING_CONVENTION
from proxy.traffic import metadata as traffic_metadata
from shadow.schema import metadata as parity_metadata


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


TOOLING_METADATA = (Base.metadata, parity_metadata, traffic_metadata)

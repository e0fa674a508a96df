"""The tables of the person store on PostgreSQL, as numbered migrations (`hedgerow.postgres`).

The same tables as the embedded store (`sqlite_schema.py`): persons, distinct ids, personless
ids, overrides and their outbox, person indexes; plus the groups of `groups.py`. Properties
are `jsonb`; times stay the text the embedded store keeps (events' timestamps), so that both
stores order and compare them alike.
"""

from __future__ import annotations

from hedgerow.postgres import Migration

COMPONENT = "persons"

MIGRATIONS = [
    Migration(
        1,
        """
CREATE TABLE persons (
    team_id integer NOT NULL,
    id text COLLATE "C" NOT NULL,
    properties jsonb NOT NULL,
    is_identified boolean NOT NULL DEFAULT false,
    created_at text COLLATE "C" NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, id)
);
CREATE INDEX persons_by_created_at ON persons (team_id, created_at DESC, id);
CREATE TABLE distinct_ids (
    team_id integer NOT NULL,
    distinct_id text COLLATE "C" NOT NULL,
    person_id text COLLATE "C" NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, distinct_id)
);
CREATE INDEX distinct_ids_by_person ON distinct_ids (team_id, person_id);
CREATE TABLE personless_ids (
    team_id integer NOT NULL,
    distinct_id text NOT NULL,
    PRIMARY KEY (team_id, distinct_id)
);
CREATE TABLE person_overrides (
    team_id integer NOT NULL,
    old_person_id text NOT NULL,
    person_id text NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (team_id, old_person_id)
);
CREATE INDEX person_overrides_by_person ON person_overrides (team_id, person_id);
CREATE TABLE override_outbox (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    team_id integer NOT NULL,
    old_person_id text NOT NULL,
    person_id text NOT NULL,
    version bigint NOT NULL,
    old_person_idx bigint NOT NULL,
    person_idx bigint NOT NULL
);
CREATE TABLE person_index (
    idx bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person_id text NOT NULL UNIQUE
);
""",
    ),
    Migration(
        2,
        """
CREATE TABLE group_types (
    team_id integer NOT NULL,
    group_type text NOT NULL,
    group_type_index integer NOT NULL CHECK (group_type_index BETWEEN 0 AND 4),
    PRIMARY KEY (team_id, group_type),
    UNIQUE (team_id, group_type_index)
);
CREATE TABLE groups (
    team_id integer NOT NULL,
    group_type_index integer NOT NULL,
    group_key text NOT NULL,
    properties jsonb NOT NULL,
    created_at text NOT NULL,
    version bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (team_id, group_type_index, group_key)
);
""",
    ),
]

# A person row: what `PostgresPersonStore` reads persons with.
PERSON_COLUMNS = (
    "p.team_id, p.id, p.properties, p.is_identified, p.created_at, p.version, "
    "(SELECT i.idx FROM person_index i WHERE i.person_id = p.id)"
)

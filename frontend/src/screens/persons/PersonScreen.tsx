import { useMemo } from "react";
import { Link, useParams } from "react-router";

import { exactTime } from "../../lib/time";
import type { Person } from "../../lib/types";
import { PropertyTable, splitProperties } from "../../components/PropertyTree";
import { FilteredEventList } from "../../components/FilteredEventList";
import { useProject } from "../shell/project";
import { DeletePerson } from "./DeletePerson";
import { propertyLabel } from "./personProperties";
import { personRow } from "./personsList";
import { usePerson } from "./usePersons";
import "./persons.css";

function PersonEvents({ projectId, person }: { projectId: number; person: Person }) {
  const scope = useMemo(() => ({ personId: person.id }), [person.id]);
  return (
    <section className="person-events" aria-labelledby="person-events-title">
      <h2 id="person-events-title">Events</h2>
      <FilteredEventList
        projectId={projectId}
        live={false}
        scope={scope}
        showPerson={false}
        emptyText={(filtered) =>
          filtered ? "None of this person's events match these filters." : "No events of this person are stored."
        }
      />
    </section>
  );
}

function NotFound({ id }: { id: string }) {
  return (
    <section className="person-screen">
      <p className="breadcrumb">
        <Link to="/persons">Persons</Link> /
      </p>
      <h1>Person not found</h1>
      <p role="alert">
        No person in this project has the person ID or distinct ID <q className="id-text">{id}</q>. It
        may belong to another project, or its events may not have arrived yet.
      </p>
      <Link to="/persons">Back to Persons</Link>
    </section>
  );
}

/** `/persons/<person id or distinct id>`: who the person is, their properties and events. */
export default function PersonScreen() {
  const { id = "" } = useParams();
  const { project } = useProject();
  const person = usePerson(project.id, id);

  if (person.error) {
    return (
      <section className="person-screen">
        <h1>Person</h1>
        <p role="alert" className="error">
          Could not load the person: {person.error.message}
        </p>
        <Link to="/persons">Back to Persons</Link>
      </section>
    );
  }
  if (person.isPending) return <p className="loading">Loading…</p>;
  if (person.data === null) return <NotFound id={id} />;

  const data = person.data;
  const row = personRow(data);
  const { custom, builtIn } = splitProperties(data.properties);
  const labelOf = (key: string) => propertyLabel(key, data.properties);

  return (
    <section className="person-screen" aria-labelledby="person-title">
      <p className="breadcrumb">
        <Link to="/persons">Persons</Link> /
      </p>
      <h1 id="person-title">{row.name}</h1>
      <div className="person-actions">
        <DeletePerson projectId={project.id} person={data} name={row.name} />
      </div>
      <dl className="summary">
        <dt>Distinct IDs</dt>
        <dd>
          <ul className="distinct-ids" aria-label="Distinct IDs">
            {data.distinct_ids.map((distinctId) => (
              <li key={distinctId}>{distinctId}</li>
            ))}
          </ul>
        </dd>
        <dt>First seen</dt>
        <dd>
          <time dateTime={data.created_at}>{exactTime(data.created_at)}</time>
        </dd>
        <dt>Last seen</dt>
        <dd>
          {data.last_seen_at ? (
            <time dateTime={data.last_seen_at}>{exactTime(data.last_seen_at)}</time>
          ) : (
            "No events stored"
          )}
        </dd>
        <dt>Identified</dt>
        <dd>{data.is_identified ? "Yes: identified with $identify, an alias or a merge" : "No: anonymous"}</dd>
        <dt>Person ID</dt>
        <dd className="id-text">{data.id}</dd>
      </dl>
      <section aria-labelledby="person-properties-title">
        <h2 id="person-properties-title">Properties</h2>
        {custom.length > 0 ? (
          <PropertyTable entries={custom} caption="Custom" labelOf={labelOf} />
        ) : (
          <p className="muted">No properties of its own.</p>
        )}
        {builtIn.length > 0 && (
          <PropertyTable
            entries={builtIn}
            caption="Built-in ($): $initial_ keys keep the values of when the person was first seen"
            labelOf={labelOf}
          />
        )}
      </section>
      <PersonEvents projectId={project.id} person={data} />
    </section>
  );
}

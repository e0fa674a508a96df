import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";

import { api, ApiError, projectPath } from "../../lib/api";
import { describeEvent } from "../../lib/describe";
import { parseElementsChain } from "../../lib/elements";
import { personDisplayName } from "../../lib/person";
import { exactTime } from "../../lib/time";
import type { Person, StoredEvent } from "../../lib/types";
import { useProject } from "../shell/project";
import { actionFromEventPath } from "./actionLink";
import { ElementChain } from "./ElementChain";
import { PropertyTable, splitProperties } from "../../components/PropertyTree";

/** `/events/<uuid>`: one event with all its properties, its elements and its person. */
export default function EventScreen() {
  const { uuid = "" } = useParams();
  const { project } = useProject();
  const event = useQuery({
    queryKey: ["event", project.id, uuid],
    queryFn: () => api<StoredEvent>(projectPath(project.id, `events/${encodeURIComponent(uuid)}/`)),
  });
  const personId = event.data?.person_id;
  const person = useQuery({
    queryKey: ["person", project.id, personId],
    queryFn: () =>
      api<Person>(projectPath(project.id, `persons/${encodeURIComponent(personId ?? "")}/`)),
    enabled: Boolean(personId),
  });

  if (event.error instanceof ApiError && event.error.status === 404) {
    return (
      <section className="event-screen">
        <p className="breadcrumb">
          <Link to="/events">Activity</Link> /
        </p>
        <h1>Event not found</h1>
        <p role="alert">
          No event in this project has the ID <q className="id-text">{uuid}</q>. It may belong to
          another project, or it may not have arrived yet.
        </p>
        <Link to="/events">Back to Activity</Link>
      </section>
    );
  }
  if (event.error) {
    return (
      <section className="event-screen">
        <h1>Event</h1>
        <p role="alert" className="error">
          Could not load the event: {event.error.message}
        </p>
        <Link to="/events">Back to Activity</Link>
      </section>
    );
  }
  if (!event.data) return <p className="loading">Loading…</p>;

  const data = event.data;
  const elements = parseElementsChain(data.elements_chain || String(data.properties["$elements_chain"] ?? ""));
  const { custom, builtIn } = splitProperties(data.properties);
  const props = person.data?.properties ?? {};
  const personName = personDisplayName(props["email"], props["name"], data.distinct_id);

  return (
    <section className="event-screen" aria-labelledby="event-title">
      <p className="breadcrumb">
        <Link to="/events">Activity</Link> /
      </p>
      <header className="screen-header">
        <h1 id="event-title">{describeEvent(data)}</h1>
        <Link className="button" to={actionFromEventPath(data, elements)}>
          Create action from this event
        </Link>
      </header>
      <dl className="summary">
        <dt>Event</dt>
        <dd>{data.event}</dd>
        <dt>Time</dt>
        <dd>
          <time dateTime={data.timestamp}>{exactTime(data.timestamp)}</time>
        </dd>
        <dt>Person</dt>
        <dd>
          {data.person_id ? <Link to={`/persons/${data.person_id}`}>{personName}</Link> : personName}
        </dd>
        <dt>Distinct ID</dt>
        <dd>{data.distinct_id}</dd>
        <dt>UUID</dt>
        <dd>{data.uuid}</dd>
      </dl>
      {elements.length > 0 && (
        <section aria-labelledby="elements-title">
          <h2 id="elements-title">Elements</h2>
          <ElementChain elements={elements} />
        </section>
      )}
      <section aria-labelledby="properties-title">
        <h2 id="properties-title">Properties</h2>
        {custom.length > 0 ? (
          <PropertyTable entries={custom} caption="Sent with the event" />
        ) : (
          <p className="muted">No properties of its own.</p>
        )}
        {builtIn.length > 0 && (
          <PropertyTable entries={builtIn} caption="Set by the SDK and the server ($)" />
        )}
      </section>
    </section>
  );
}

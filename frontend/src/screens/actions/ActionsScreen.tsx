import { useState } from "react";
import { Link } from "react-router";

import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { useProject } from "../shell/project";
import { useActionList } from "./actionsApi";
import { describeStep, describeSteps } from "./steps";
import "./actions.css";

function When({ timestamp, now }: { timestamp: string; now: number }) {
  return (
    <time dateTime={timestamp} title={exactTime(timestamp)}>
      {relativeTime(timestamp, now)}
    </time>
  );
}

/** `/actions`: the project's actions, searchable by name, each opening its editor. */
export default function ActionsScreen() {
  const { project } = useProject();
  const list = useActionList(project.id);
  const [search, setSearch] = useState("");
  const now = useNow(30_000);
  const all = list.data?.results ?? [];
  const needle = search.trim().toLowerCase();
  const shown = needle ? all.filter((a) => a.name.toLowerCase().includes(needle)) : all;

  return (
    <section className="actions-screen" aria-labelledby="actions-title">
      <header className="screen-header">
        <h1 id="actions-title">Actions</h1>
        <Link className="button" to="/actions/new">
          New action
        </Link>
      </header>
      <p className="intro">
        An action names a set of events: any of its match groups, such as clicks on a button
        whose text changed over time, or a pageview and a backend event. Actions count past
        events too.
      </p>
      {list.error && (
        <p role="alert" className="error">
          Could not load actions: {list.error.message}
        </p>
      )}
      {list.isLoading ? (
        <p className="loading">Loading actions…</p>
      ) : all.length === 0 ? (
        <div className="empty-state">
          <h2>No actions yet</h2>
          <p>
            Combine autocaptured clicks, pageviews and custom events into one action, then count
            it in queries. Start from an event on the Activity page (“Create action from this
            event”) or from scratch.
          </p>
          <Link className="button" to="/actions/new">
            New action
          </Link>
        </div>
      ) : (
        <>
          <label className="field inline search">
            <span>Search</span>
            <input
              type="search"
              placeholder="Action name"
              value={search}
              onChange={(e) => setSearch(e.target.value)}
            />
          </label>
          <table className="data-table actions-table">
            <colgroup>
              <col className="col-name" />
              <col className="col-steps" />
              <col className="col-when" />
              <col className="col-when" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Match groups</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((action) => {
                const steps = describeSteps(action.steps);
                return (
                  <tr key={action.id}>
                    <td title={action.name}>
                      <Link to={`/actions/${action.id}`}>{action.name}</Link>
                    </td>
                    <td className="steps-cell" title={steps}>
                      {action.steps.length === 0 ? (
                        <span className="none">{steps}</span>
                      ) : (
                        <ul aria-label={`Match groups of ${action.name}`}>
                          {action.steps.map((step, i) => (
                            <li key={i}>
                              {i > 0 && <span className="or-word">OR </span>}
                              {describeStep(step)}
                            </li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td>
                      <When timestamp={action.created_at} now={now} />
                    </td>
                    <td>
                      <When timestamp={action.updated_at} now={now} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p className="list-end" role="status">
            {shown.length === 0
              ? `No action's name contains “${search.trim()}”.`
              : shown.length === all.length
                ? `${all.length} ${all.length === 1 ? "action" : "actions"}`
                : `${shown.length} of ${all.length} actions`}
          </p>
        </>
      )}
    </section>
  );
}

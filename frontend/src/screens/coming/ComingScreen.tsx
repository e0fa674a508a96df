import { Link } from "react-router";

/** A screen of the contract that a later slice builds; or, without `what`, an unknown path. */
export function ComingScreen({ title, what }: { title: string; what: string }) {
  return (
    <section className="empty-state" aria-labelledby="coming-title">
      <h1 id="coming-title">{title}</h1>
      {what ? (
        <p>{what} is coming in a later version of this screen.</p>
      ) : (
        <p>There is no page at this address.</p>
      )}
      <p>
        <Link to="/events">See the latest events</Link>
      </p>
    </section>
  );
}

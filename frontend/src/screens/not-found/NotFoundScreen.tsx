import { Link } from "react-router";

/** What an address inside the app that names no screen shows. */
export function NotFoundScreen() {
  return (
    <section className="empty-state" aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link to="/events">See the latest events</Link>
      </p>
    </section>
  );
}

/** The newest event of the project, if any: `/` uses it to choose its page. */
export const NEWEST_EVENT = {
  kind: "EventsQuery",
  select: ["uuid", "event", "timestamp"],
  orderBy: ["timestamp DESC"],
  limit: 1,
};

// A paths answer as Sankey nodes and links. Node names carry their step ("1_/pricing"), so
// the same page at two steps is two nodes and the graph has no cycles.

export interface SankeyModel {
  nodes: { name: string; label: string; step: number }[];
  links: { source: string; target: string; value: number }[];
}

/** "3_/pricing" -> { step: 3, label: "/pricing" }. */
export function splitNode(name: string): { step: number; label: string } {
  const match = /^(\d+)_(.*)$/s.exec(name);
  if (!match) return { step: 0, label: name };
  return { step: Number(match[1]), label: match[2] ?? "" };
}

export function sankeyModel(edges: { source: string; target: string; value: number }[]): SankeyModel {
  const names = new Set<string>();
  for (const edge of edges) {
    names.add(edge.source);
    names.add(edge.target);
  }
  const nodes = [...names].map((name) => ({ name, ...splitNode(name) }));
  nodes.sort((a, b) => a.step - b.step);
  return {
    nodes,
    links: edges.filter((edge) => edge.source !== edge.target).map((edge) => ({ ...edge })),
  };
}

// Until InsightViz (insights-editor) is merged: a tile's raw numbers. To be replaced, not kept.

interface Series {
  label?: string;
  count?: number;
  aggregated_value?: number;
  data?: number[];
}

export function TilePreview({ response }: { response: unknown }) {
  const results = (response as { results?: unknown }).results;
  const rows = Array.isArray(results) ? (results as Series[]).slice(0, 8) : [];
  return (
    <table className="tile-preview">
      <tbody>
        {rows.map((row, i) => (
          <tr key={i}>
            <th scope="row">{String(row.label ?? i + 1)}</th>
            <td>{String(row.aggregated_value ?? row.count ?? row.data?.reduce((a, b) => a + b, 0) ?? "")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

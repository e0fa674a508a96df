import { useVirtualizer } from "@tanstack/react-virtual";
import { useRef } from "react";

import { cellView, isNumericType } from "./cells";

const ROW_HEIGHT = 33;

interface Props {
  columns: string[];
  types: Map<string, string>;
  rows: unknown[][];
}

/** A query's result: a real table, only the rows on screen in the DOM (up to 10,000 rows). */
export function ResultTable({ columns, types, rows }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read each render
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 20,
  });
  const items = virtualizer.getVirtualItems();
  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);
  const span = columns.length + 1;

  return (
    <div className="table-scroll sql-results" ref={scroller} tabIndex={0} role="region" aria-label="Query result">
      <table
        className="data-table sql-table"
        aria-rowcount={rows.length + 1}
        style={{ minWidth: `${3 + columns.length * 11}rem` }}
      >
        <colgroup>
          <col className="col-row-number" />
          {columns.map((_, i) => (
            <col key={i} />
          ))}
        </colgroup>
        <thead>
          <tr>
            <th scope="col" className="row-number" aria-label="Row">
              #
            </th>
            {columns.map((name, i) => (
              <th
                key={i}
                scope="col"
                className={isNumericType(types.get(name)) ? "cell-number" : undefined}
                title={types.has(name) ? `${name}: ${types.get(name)}` : name}>
                {name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={span} style={{ height: paddingTop }} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <tr key={item.index} aria-rowindex={item.index + 2} style={{ height: ROW_HEIGHT }}>
                <td className="row-number">{item.index + 1}</td>
                {columns.map((_, i) => {
                  const cell = cellView(row[i]);
                  return (
                    <td key={i} className={`cell-${cell.kind}`} title={cell.text.length > 20 ? cell.text : undefined}>
                      {cell.text}
                    </td>
                  );
                })}
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={span} style={{ height: paddingBottom }} />
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

import { useEffect, useRef, useState, type ReactNode } from "react";

/** Rows drawn beyond the visible ones, above and below, so a fast scroll shows no gap. */
const OVERSCAN = 8;

/**
 * A long list drawn a window at a time: only the rows in view (and a few around them) are in
 * the page, each `rowHeight` pixels high, so 10,000 conversations scroll like 20. `onNearEnd`
 * asks for the next page as the end comes into view.
 */
export function VirtualRows<T>({
  items, rowHeight, render, keyOf, onNearEnd, label,
}: {
  items: T[];
  rowHeight: number;
  render: (item: T) => ReactNode;
  keyOf: (item: T) => string;
  onNearEnd: () => void;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(800);

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const watcher = new ResizeObserver(() => setHeight(element.clientHeight));
    watcher.observe(element);
    return () => watcher.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
  const last = Math.min(items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);

  useEffect(() => {
    if (items.length > 0 && last >= items.length - OVERSCAN) onNearEnd();
  }, [last, items.length, onNearEnd]);

  return (
    <div className="rows" ref={box} role="list" aria-label={label}
      onScroll={(event) => setTop(event.currentTarget.scrollTop)}>
      <div style={{ blockSize: items.length * rowHeight, position: "relative" }}>
        {items.slice(first, last).map((item, index) => (
          <div key={keyOf(item)} role="listitem" className="row" style={{
            position: "absolute", insetInline: 0, insetBlockStart: (first + index) * rowHeight,
            blockSize: rowHeight,
          }}>
            {render(item)}
          </div>
        ))}
      </div>
    </div>
  );
}

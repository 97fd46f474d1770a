// A uPlot chart in a <figure>: made when its data change, removed with the component.
// uPlot draws on a canvas and styles through the CSSOM (allowed by the CSP's
// style-src 'self'); its stylesheet is bundled from uplot/dist/uPlot.min.css.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export function UPlot({ id, caption, options, data, children }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    const width = Math.max(320, Math.min(900, el.clientWidth || 640));
    const plot = new uPlot({ width, height: 260, legend: { show: false }, ...options }, data, el);
    return () => plot.destroy();
  }, [options, data]);
  return (
    <figure class="chart" id={id}>
      <div ref={box} role="img" aria-label={caption} />
      <figcaption>{caption}{children}</figcaption>
    </figure>
  );
}

export const bars = () => uPlot.paths.bars({ size: [0.8, 60] });

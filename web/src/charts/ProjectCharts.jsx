// "Look, don't read": a project's sessions received per month, and for the numeric
// subject custom variables the user picks, a histogram of one or a scatter of one
// against another, coloured by a text variable.
import { useMemo, useState } from 'preact/hooks';
import { getJson, listing, seg } from '../api.js';
import { useLoad } from '../components/useLoad.js';
import { Status } from '../components/Status.jsx';
import { UPlot, bars } from './UPlot.jsx';
import { histogram, num, perMonth, scatter } from './chartData.js';

const PALETTE = ['#1f4e79', '#c0392b', '#2e7d32', '#8e44ad', '#b9770e', '#00838f', '#6d4c41', '#37474f'];
const CUSTOM = (name) => `xnat:subjectData/fields/field[name=${name}]/field`;
const NUMERIC = new Set(['integer', 'float', 'int', 'double', 'decimal', 'number']);

async function loadSubjects(p) {
  const defs = await getJson(`/xapi/projects/${seg(p)}/customVariables?format=json`);
  const vars = (defs.ResultSet.Result || []).filter((d) => d.level === 'subject');
  const numeric = vars.filter((d) => NUMERIC.has(String(d.type).toLowerCase())).map((d) => d.name);
  const text = vars.filter((d) => !NUMERIC.has(String(d.type).toLowerCase())).map((d) => d.name);
  if (!vars.length) return { numeric, text, rows: [] };
  const { rows } = await listing(`/data/projects/${seg(p)}/subjects`,
    { columns: ['label', ...vars.map((d) => CUSTOM(d.name))].join(',') });
  return { numeric, text, rows };
}

function MonthChart({ p }) {
  const state = useLoad(() => listing(`/data/projects/${seg(p)}/experiments`, { columns: 'ID,date' }), [p]);
  const chart = useMemo(() => {
    if (!state.data) return null;
    const { months, counts } = perMonth(state.data.rows.map((r) => r.date));
    return {
      months,
      data: [months.map((_, i) => i), counts],
      options: {
        scales: { x: { time: false, range: [-0.5, months.length - 0.5] } },
        axes: [{ values: (u, ticks) => ticks.map((t) => months[t] || '') }, {}],
        series: [{}, { label: 'Sessions', fill: PALETTE[0], stroke: PALETTE[0], paths: bars(), points: { show: false } }],
      },
    };
  }, [state.data]);
  return (
    <>
      <Status state={state} what="the sessions' dates" />
      {chart && (chart.months.length
        ? <UPlot id="chart-months" caption={`Sessions received per month, ${chart.months[0]} to ${chart.months[chart.months.length - 1]}`}
            options={chart.options} data={chart.data} />
        : <p class="empty">No dated sessions yet.</p>)}
    </>
  );
}

function VarSelect({ id, label, value, onChange, names, none }) {
  return (
    <label for={id}>{label}{' '}
      <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{none}</option>
        {names.map((n) => <option key={n} value={n}>{n}</option>)}
      </select>
    </label>
  );
}

function VariableChart({ subjects, x, y, colour }) {
  const chart = useMemo(() => {
    const rows = subjects.rows;
    if (!y) {
      const h = histogram(rows.map((r) => num(r[CUSTOM(x)])));
      return {
        id: 'chart-histogram',
        caption: `Histogram of ${x} over ${h.counts.reduce((a, b) => a + b, 0)} subjects`,
        data: [h.centres, h.counts],
        options: {
          scales: { x: { time: false } },
          series: [{}, { label: 'Subjects', fill: PALETTE[0], stroke: PALETTE[0], paths: bars(), points: { show: false } }],
        },
        groups: [],
      };
    }
    const s = scatter(rows.map((r) => ({
      x: num(r[CUSTOM(x)]), y: num(r[CUSTOM(y)]), group: colour ? (r[CUSTOM(colour)] || '(none)') : y,
    })));
    return {
      id: 'chart-scatter',
      caption: `${y} by ${x} (${s.n} subjects)${colour ? `, coloured by ${colour}` : ''}`,
      data: [s.xs, ...s.series],
      options: {
        mode: 1,
        scales: { x: { time: false } },
        series: [{}, ...s.groups.map((g, i) => ({
          label: g, stroke: PALETTE[i % PALETTE.length], paths: () => null,
          points: { show: true, size: 7, fill: PALETTE[i % PALETTE.length] },
        }))],
      },
      groups: s.groups,
    };
  }, [subjects, x, y, colour]);
  return (
    <UPlot id={chart.id} caption={chart.caption} options={chart.options} data={chart.data}>
      {colour && (
        <ul class="chart-legend" aria-label="Colours">
          {chart.groups.map((g, i) => <li key={g}><span class={`swatch swatch-${i % PALETTE.length}`} aria-hidden="true" />{g}</li>)}
        </ul>
      )}
    </UPlot>
  );
}

export function ProjectCharts({ project }) {
  const subjects = useLoad(() => loadSubjects(project), [project]);
  const [x, setX] = useState('');
  const [y, setY] = useState('');
  const [colour, setColour] = useState('');
  const d = subjects.data;
  return (
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Charts</h2>
      <MonthChart p={project} />
      <Status state={subjects} what="the custom variables" />
      {d && (d.numeric.length ? (
        <>
          <div class="chart-controls">
            <VarSelect id="chart-x" label="Variable" value={x} onChange={setX} names={d.numeric} none="— choose —" />
            <VarSelect id="chart-y" label="Against" value={y} onChange={setY} names={d.numeric} none="nothing (histogram)" />
            <VarSelect id="chart-colour" label="Colour by" value={colour} onChange={setColour} names={d.text} none="nothing" />
          </div>
          {x && <VariableChart subjects={d} x={x} y={y} colour={y ? colour : ''} />}
        </>
      ) : <p class="empty">No numeric custom variables to chart.</p>)}
    </section>
  );
}

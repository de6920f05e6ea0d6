/*
 * portable-watch flow page: draws the durations and rows-loaded charts with uPlot from `#chart-data`. The tables
 * beside them hold the same numbers, so when uPlot is missing or there is nothing to draw this quietly does nothing.
 */
'use strict';

(() => {
  const source = document.getElementById('chart-data');
  if (source === null || typeof uPlot !== 'function') return;
  let data;
  try {
    data = JSON.parse(source.textContent || 'null');
  } catch {
    return;
  }
  if (data === null || typeof data !== 'object') return;

  const style = getComputedStyle(document.documentElement);
  const colour = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
  const text = colour('--fg', '#1d2330');
  const grid = colour('--line', '#dde1e7');
  const HEIGHT = 220;
  const charts = [];

  const axis = (label) => ({ stroke: text, label, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } });
  const points = (label, stroke) => ({ label, stroke, paths: () => null, points: { show: true, size: 7, fill: stroke, stroke } });

  function widthOf(container) {
    return Math.max(280, Math.floor(container.clientWidth || container.parentElement?.clientWidth || 600));
  }

  function draw(container, options, rows) {
    try {
      charts.push({ container, plot: new uPlot({ ...options, width: widthOf(container), height: HEIGHT }, rows, container) });
    } catch {
      // A chart is a picture of the table beside it; failing to draw one must not disturb the page.
    }
  }

  /** Minutes per attempt, succeeded apart from the rest, with the runtime limit as a dashed line. */
  function durationChart() {
    const container = document.getElementById('duration-chart');
    const pairs = Array.isArray(data.durations) ? data.durations.filter((pair) => Array.isArray(pair) && typeof pair[0] === 'number') : [];
    if (container === null || !pairs.some((pair) => typeof pair[1] === 'number')) return;
    const outcomes = Array.isArray(data.outcomes) ? data.outcomes : [];
    const minutes = (pair) => (typeof pair[1] === 'number' ? pair[1] / 60 : null);
    const x = pairs.map((pair) => pair[0]);
    const succeeded = pairs.map((pair, index) => (outcomes[index] === 'succeeded' ? minutes(pair) : null));
    const other = pairs.map((pair, index) => (outcomes[index] === 'succeeded' ? null : minutes(pair)));
    const series = [{}, points('succeeded', colour('--mark-s', '#2e9d52')), points('failed or other', colour('--mark-f', '#d93025'))];
    const rows = [x, succeeded, other];
    if (typeof data.limitSeconds === 'number' && Number.isFinite(data.limitSeconds) && data.limitSeconds > 0) {
      series.push({ label: 'runtime limit', stroke: colour('--amber', '#a05a00'), dash: [6, 4], width: 1.5, points: { show: false } });
      rows.push(x.map(() => data.limitSeconds / 60));
    }
    draw(container, { scales: { x: { time: true } }, series, axes: [axis(''), axis('minutes')] }, rows);
  }

  /** Rows loaded by each of the first five resources, aligned on the newest run. */
  function loadedChart() {
    const container = document.getElementById('loaded-chart');
    const resources = (Array.isArray(data.loaded) ? data.loaded : [])
      .filter((entry) => entry !== null && typeof entry.resource === 'string' && Array.isArray(entry.values) && entry.values.length > 0)
      .slice(0, 5);
    if (container === null || resources.length === 0) return;
    const runs = Math.max(...resources.map((entry) => entry.values.length));
    const x = Array.from({ length: runs }, (_, index) => index + 1);
    const palette = ['#1a73e8', '#e37400', '#188038', '#a142f4', '#d01884'];
    const series = [{ label: 'run' }];
    const rows = [x];
    resources.forEach((entry, index) => {
      const padding = Array.from({ length: runs - entry.values.length }, () => null);
      series.push({ label: entry.resource, stroke: palette[index % palette.length], width: 1.5, points: { show: runs <= 40 } });
      rows.push([...padding, ...entry.values.map((value) => (typeof value === 'number' ? value : null))]);
    });
    const runAxis = { ...axis('run (oldest to newest)'), incrs: [1, 2, 5, 10, 20, 50, 100] };
    draw(container, { scales: { x: { time: false } }, series, axes: [runAxis, axis('rows')] }, rows);
  }

  durationChart();
  loadedChart();

  let resizeTimer;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const chart of charts) {
        try {
          chart.plot.setSize({ width: widthOf(chart.container), height: HEIGHT });
        } catch {
          // Same as drawing: never disturb the page.
        }
      }
    }, 150);
  });
})();

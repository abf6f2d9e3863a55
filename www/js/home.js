// Home page: the shipped models' measured accuracy (read from their metadata by the engine) and
// the engine mode.
import { $, SHIPPED, SHIPPED_OTHER, app, escapeHtml, rpc } from '../main.js';

function fmtDate(s) {
  if (!s) return '–';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().slice(0, 10);
}

app(async (info) => {
  $('#engine-version').textContent = `multispike ${info.version}`;
  $('#engine-coi').textContent = info.crossOriginIsolated ? `yes (${info.isolation.via})` : 'no';
  $('#engine-start').textContent = `${info.init_ms.toFixed(0)} ms (WebAssembly compiled${info.build === 'mt' ? ', thread pool started' : ''})`;
  const models = [];
  for (const s of [...SHIPPED, ...SHIPPED_OTHER]) {
    try {
      models.push({ ...s, ...(await rpc('modelInfo', { url: s.url })) });
    } catch (e) {
      models.push({ ...s, error: e.message });
    }
  }
  const body = $('#models-table tbody');
  body.innerHTML = '';
  for (const m of models) {
    const tr = document.createElement('tr');
    if (m.error) {
      tr.innerHTML = `<td>${escapeHtml(m.url)}</td><td colspan="8" class="error-text">${escapeHtml(m.error)}</td>`;
    } else {
      const md = m.metadata;
      const acc = md.test_accuracy ? `<b>${(100 * Number(md.test_accuracy)).toFixed(2)} %</b>` : '–';
      const on = md.test_samples ? `<br><span class="muted small">${Number(md.test_samples).toLocaleString('en')} test images</span>` : '';
      // MNIST models open on the Draw page; the others (clothes) do not read digits
      const name = `${escapeHtml(md.mode)}-spike`;
      const digits = m.dataset.name === 'mnist';
      tr.innerHTML = `<td>${digits ? `<a href="draw.html?model=${m.key}">${name}</a>` : name}</td><td>${escapeHtml(m.dataset.title)}</td>
        <td class="acc">${acc}${on}</td><td>${escapeHtml(md.tau_I)}</td><td>${escapeHtml(md.layers.replaceAll(',', '-'))}</td>
        <td>${escapeHtml(md.epochs ?? '–')}</td><td>${escapeHtml(md.seed ?? '–')}</td><td>${fmtDate(md.date)}</td>
        <td class="small mono">${escapeHtml(m.url.split('/').pop())}</td>`;
    }
    body.append(tr);
  }
  $('#models-commands').innerHTML = models
    .filter((m) => m.metadata?.command)
    .map((m) => `<div>${escapeHtml(m.dataset.title)} ${escapeHtml(m.metadata.mode)}: <code>${escapeHtml(m.metadata.command)}</code></div>`)
    .join('');
  return { models: models.map((m) => ({ url: m.url, metadata: m.metadata, error: m.error })) };
});

#include "sync/profile_store/dashboard_page.hpp"

namespace kiosk_edge {

// The dashboard's behaviour. Contracts the browser test relies on: #dashboard's data-query is
// the table's query string once every part of a load is drawn; table cells, bar labels, trend
// points and health cells carry data-column / data-group / data-figure / data-day attributes
// naming what they show; values are the API's, as it wrote them (null as "-"), rates as percentages
// with one decimal.
std::string_view DashboardScript() {
  return R"js('use strict';
(() => {
  const SESSION_PATH = '/v1/dashboard/session';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const FUNNEL_FIGURES = ['scans', 'signups', 'redemptions'];
  const DAY_MS = 86_400_000;
  const $ = (id) => document.getElementById(id);
  // loads counts load() calls: only the latest one draws (an older one may finish later).
  const state = { table: null, sort: null, loads: 0 };

  // noToken: a 401 because the request carried no token at all (no session yet).
  class ApiError extends Error {
    constructor(status, message, noToken = false) {
      super(message);
      this.status = status;
      this.noToken = noToken;
    }
  }

  // ---- The HQ API, with the session cookie HQ set from the analyst's token ----
  // The token itself is never kept here: POST /v1/dashboard/session turns it into an HttpOnly
  // cookie, which goes with every same-origin fetch and which no script can read.

  // Every request has a deadline: a report over a long window may take a while, never forever.
  const API_DEADLINE_MS = 120_000;

  async function callApi(target, { method = 'GET', headers = {} } = {}) {
    let response;
    try {
      response = await fetch(target, {
        method,
        headers,
        cache: 'no-store',
        credentials: 'same-origin',
        signal: AbortSignal.timeout(API_DEADLINE_MS),
      });
    } catch (error) {
      const reason = error.name === 'TimeoutError' ? `no answer within ${API_DEADLINE_MS / 1000} s` : error.message;
      throw new ApiError(0, `HQ could not be reached: ${reason}`);
    }
    if (!response.ok) {
      let message = `HQ answered ${response.status}`;
      try {
        const body = await response.json();
        if (body.error) message = `${body.error} (HTTP ${response.status})`;
      } catch {
        // Not JSON: the status says enough.
      }
      const challenge = response.headers.get('WWW-Authenticate') ?? '';
      throw new ApiError(response.status, message, response.status === 401 && !challenge.includes('error='));
    }
    return response;
  }

  const getJson = async (target) => (await callApi(target)).json();

  // ---- Filters ----

  function localDay(date) {
    const pad = (n) => String(n).padStart(2, '0');
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  // The day after an ISO date ("2027-03-02" -> "2027-03-03"): the window's exclusive end.
  function nextDay(isoDate) {
    return new Date(Date.parse(`${isoDate}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10);
  }

  // The browser's UTC offset as the API spells it: "Z", "+08:00", "-05:30".
  function utcOffsetText() {
    const minutes = -new Date().getTimezoneOffset();
    if (minutes === 0) return 'Z';
    const sign = minutes > 0 ? '+' : '-';
    const abs = Math.abs(minutes);
    return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }

  function tableGrouping() {
    const grouping = $('group-by').value;
    return grouping === 'path' ? `path:${$('path-level').value}` : grouping;
  }

  function reportQuery(groupBy, format = 'json') {
    const query = new URLSearchParams({
      from: $('from').value,
      to: nextDay($('through').value),
      group_by: groupBy,
      model: $('model').value,
      tz: utcOffsetText(),
      format,
    });
    for (const filter of ['store', 'campaign']) {
      if ($(filter).value) query.set(filter, $(filter).value);
    }
    return query;
  }

  // The store and campaign lists, from the channel catalogue; a choice still listed stays chosen.
  function fillFilterChoices(catalogue) {
    for (const filter of ['store', 'campaign']) {
      const select = $(filter);
      const chosen = select.value;
      const values = [...new Set(catalogue.channels.map((channel) => channel[filter]))]
        .filter((value) => value !== '')
        .sort();
      select.replaceChildren(
        html('option', 'all', { value: '' }),
        ...values.map((value) => html('option', value, { value })),
      );
      select.value = values.includes(chosen) ? chosen : '';
    }
  }

  // ---- Drawing helpers ----

  function html(tag, text, attributes = {}) {
    const element = document.createElement(tag);
    if (text !== undefined) element.textContent = text;
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    return element;
  }

  function svg(tag, attributes = {}, text) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  const cellText = (value) => (value === null || value === undefined ? '-' : String(value));
  // A table cell: rates as percentages with one decimal ("66.7%"), other figures as the API wrote them.
  const columnText = (column, value) =>
    column.endsWith('_rate') && typeof value === 'number' ? `${(value * 100).toFixed(1)}%` : cellText(value);

  // ---- The report table: sortable headers, a row filter ----

  function compareRows(column, descending) {
    return (a, b) => {
      const x = a[column];
      const y = b[column];
      if (x === null || x === undefined) return y === null || y === undefined ? 0 : 1;
      if (y === null || y === undefined) return -1;
      const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      return descending ? -order : order;
    };
  }

  function sortBy(column) {
    const descending = state.sort?.column === column ? !state.sort.descending : false;
    state.sort = { column, descending };
    renderTable();
  }

  function renderTable() {
    const report = state.table;
    if (!report) return;
    const columns = report.columns;
    const groupColumn = columns[0];
    if (state.sort && !columns.includes(state.sort.column)) state.sort = null;
    const head = html('tr');
    for (const column of columns) {
      const th = html('th', column, { scope: 'col', 'data-column': column });
      if (state.sort?.column === column) {
        th.setAttribute('aria-sort', state.sort.descending ? 'descending' : 'ascending');
      }
      th.addEventListener('click', () => sortBy(column));
      head.append(th);
    }
    const table = $('report');
    table.tHead.replaceChildren(head);
    const filter = $('row-filter').value.trim().toLowerCase();
    let rows = report.rows.filter(
      (row) =>
        !filter ||
        String(row[groupColumn]).toLowerCase().includes(filter) ||
        String(row.name ?? '').toLowerCase().includes(filter),
    );
    if (state.sort) rows = [...rows].sort(compareRows(state.sort.column, state.sort.descending));
    table.tBodies[0].replaceChildren(
      ...rows.map((row) => {
        const tr = html('tr', undefined, { 'data-group': row[groupColumn] });
        for (const column of columns) tr.append(html('td', columnText(column, row[column]), { 'data-column': column }));
        return tr;
      }),
    );
    const totals = html('tr', undefined, { 'data-group': '(total)' });
    for (const column of columns) {
      const text = column === groupColumn ? 'total' : column === 'name' ? '' : columnText(column, report.totals[column]);
      totals.append(html('td', text, { 'data-column': column }));
    }
    table.tFoot.replaceChildren(totals);
  }

  // ---- The funnel: scans, signups and redemptions per channel, as bars ----

  function drawFunnel(report) {
    const chart = $('funnel');
    const rows = report.rows.filter((row) => FUNNEL_FIGURES.some((figure) => row[figure] > 0));
    const labelWidth = 170;
    const barArea = 480;
    const barHeight = 14;
    const rowHeight = FUNNEL_FIGURES.length * (barHeight + 2) + 12;
    const width = labelWidth + barArea + 60;
    const height = Math.max(rowHeight * rows.length, 24);
    const largest = Math.max(1, ...rows.flatMap((row) => FUNNEL_FIGURES.map((figure) => row[figure])));
    const parts = [];
    rows.forEach((row, index) => {
      const top = index * rowHeight;
      const group = row.channel;
      const label = row.name ? `${group} (${row.name})` : group;
      parts.push(svg('text', { x: 0, y: top + barHeight * 1.5 + 4, class: 'channel-label', 'data-group': group }, label));
      FUNNEL_FIGURES.forEach((figure, f) => {
        const value = row[figure];
        const y = top + f * (barHeight + 2);
        const barWidth = value > 0 ? Math.max(1, (value / largest) * barArea) : 0;
        const bar = svg('rect', { x: labelWidth, y, width: barWidth, height: barHeight, class: `bar ${figure}`,
                                  'data-group': group, 'data-figure': figure });
        bar.append(svg('title', {}, `${group}: ${value} ${figure}`));
        parts.push(bar);
        parts.push(svg('text', { x: labelWidth + barWidth + 4, y: y + barHeight - 3, class: 'bar-label',
                                 'data-group': group, 'data-figure': figure }, String(value)));
      });
    });
    if (rows.length === 0) parts.push(svg('text', { x: 0, y: 16 }, 'No scans, signups or redemptions in this window.'));
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    chart.replaceChildren(...parts);
  }

  // ---- The daily trend: one line per figure ----

  function drawTrend(report) {
    const chart = $('trend');
    const days = report.rows;
    const width = 720;
    const height = 260;
    const left = 48;
    const right = 12;
    const top = 12;
    const bottom = 28;
    const plotWidth = width - left - right;
    const plotHeight = height - top - bottom;
    const largest = Math.max(1, ...days.flatMap((day) => FUNNEL_FIGURES.map((figure) => day[figure])));
    const x = (i) => left + (days.length > 1 ? (i * plotWidth) / (days.length - 1) : plotWidth / 2);
    const y = (value) => top + plotHeight - (value / largest) * plotHeight;
    const parts = [
      svg('line', { x1: left, y1: top + plotHeight, x2: width - right, y2: top + plotHeight, class: 'axis' }),
      svg('line', { x1: left, y1: top, x2: left, y2: top + plotHeight, class: 'axis' }),
      svg('text', { x: left - 6, y: top + 10, 'text-anchor': 'end', class: 'axis-label' }, String(largest)),
      svg('text', { x: left - 6, y: top + plotHeight, 'text-anchor': 'end', class: 'axis-label' }, '0'),
    ];
    if (days.length > 0) {
      parts.push(svg('text', { x: left, y: height - 8, class: 'axis-label' }, days[0].day));
      parts.push(svg('text', { x: width - right, y: height - 8, 'text-anchor': 'end', class: 'axis-label' },
                     days[days.length - 1].day));
    }
    for (const figure of FUNNEL_FIGURES) {
      const points = days.map((day, i) => `${x(i)},${y(day[figure])}`).join(' ');
      parts.push(svg('polyline', { points, class: `line ${figure}`, 'data-figure': figure }));
      days.forEach((day, i) => {
        const point = svg('circle', { cx: x(i), cy: y(day[figure]), r: 3, class: `point ${figure}`,
                                      'data-day': day.day, 'data-figure': figure, 'data-value': day[figure] });
        point.append(svg('title', {}, `${day.day}: ${day[figure]} ${figure}`));
        parts.push(point);
      });
    }
    chart.setAttribute('viewBox', `0 0 ${width} ${height}`);
    chart.replaceChildren(...parts);
  }

  // ---- Kiosk health ----

  function ageText(seconds) {
    if (seconds < 120) return `${seconds} s`;
    if (seconds < 7200) return `${Math.floor(seconds / 60)} min`;
    if (seconds < 172800) return `${Math.floor(seconds / 3600)} h`;
    return `${Math.floor(seconds / 86400)} d`;
  }

  function certificateText(kiosk, name) {
    const left = kiosk[`${name}_seconds_left`];
    const notAfter = kiosk[`${name}_not_after`];
    if (left === null) return 'not reported';
    if (left < 0) return `expired ${notAfter}`;
    return `${notAfter} (${ageText(left)} left)`;
  }

  function ageCell(at, seconds) {
    return at ? `${at} (${ageText(seconds)} ago)` : 'never';
  }

  // "kiosk-a", or "kiosk-a (revoked AT; honours vouchers HQ received before T)".
  function kioskText(kiosk) {
    if (!kiosk.revoked) return kiosk.kiosk_id;
    const notes = [kiosk.revoked_at ? `revoked ${kiosk.revoked_at}` : 'revoked'];
    if (kiosk.honours_vouchers_received_before) {
      notes.push(`honours vouchers HQ received before ${kiosk.honours_vouchers_received_before}`);
    }
    return `${kiosk.kiosk_id} (${notes.join('; ')})`;
  }

  function renderHealth(health) {
    const rows = health.kiosks.map((kiosk) => {
      // HQ says what needs attention and why (kiosk_health.hpp); the page only shows it.
      const cells = {
        kiosk: kioskText(kiosk),
        last_sync: ageCell(kiosk.last_sync_at, kiosk.seconds_since_sync),
        last_contact: ageCell(kiosk.last_contact_at, kiosk.seconds_since_contact),
        backlog: kiosk.backlog === null ? 'unknown' : String(kiosk.backlog),
        gaps: kiosk.gaps.length
          ? `${kiosk.gaps.map((gap) => `${gap.from_seq}-${gap.to_seq}`).join(', ')} (${kiosk.missing_events} missing)`
          : 'none',
        voucher_conflicts: String(kiosk.voucher_conflicts),
        dead_letters: String(kiosk.dead_letters),
        https_certificate: certificateText(kiosk, 'https_certificate'),
        client_certificate: certificateText(kiosk, 'client_certificate'),
        state: kiosk.attention.length ? kiosk.attention.join('; ') : 'ok',
      };
      const tr = html('tr', undefined, { 'data-kiosk': kiosk.kiosk_id });
      for (const [column, text] of Object.entries(cells)) {
        const td = html('td', text, { 'data-column': column });
        if (column === 'state') td.className = kiosk.attention.length ? 'state-attention' : 'state-ok';
        tr.append(td);
      }
      return tr;
    });
    if (rows.length === 0) {
      const empty = html('tr');
      empty.append(html('td', 'No kiosk has enrolled or synced yet.', { colspan: 10 }));
      rows.push(empty);
    }
    $('health').tBodies[0].replaceChildren(...rows);
  }

  // ---- Loading, errors, login ----

  function showError(message) {
    $('error').textContent = message;
    $('error').hidden = !message;
  }

  function showLogin(message) {
    $('dashboard').hidden = true;
    $('logout').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message ?? '';
    $('login-error').hidden = !message;
    $('token').focus();
  }

  function showDashboard() {
    $('login').hidden = true;
    $('login-error').hidden = true;
    $('dashboard').hidden = false;
    $('logout').hidden = false;
  }

  const refusedTokenMessage = (error) => `HQ refused the token: ${error.message}. Paste a valid HQ API token.`;

  // Forgets the session at HQ: its cookie goes.
  const endSession = () => callApi(SESSION_PATH, { method: 'DELETE' });

  function handleFailure(error) {
    if (error instanceof ApiError && error.status === 401) {
      if (error.noToken) {
        showLogin();
      } else {
        // A session whose token HQ no longer takes: its cookie goes first, or every later load
        // would send it again (and HQ counts unknown tokens against this address).
        const message = refusedTokenMessage(error);
        endSession().catch(() => {}).finally(() => showLogin(message));
      }
    } else {
      showDashboard();
      showError(`Could not load the dashboard: ${error.message}`);
      $('status').textContent = '';
    }
  }

  async function load() {
    showError('');
    $('status').textContent = 'Loading…';
    const generation = ++state.loads;
    delete $('dashboard').dataset.query;
    const tableQuery = reportQuery(tableGrouping());
    $('csv-link').setAttribute('href', `/v1/attribution?${reportQuery(tableGrouping(), 'csv')}`);
    try {
      const [table, funnel, trend, health, catalogue] = await Promise.all([
        getJson(`/v1/attribution?${tableQuery}`),
        getJson(`/v1/attribution?${reportQuery('channel')}`),
        getJson(`/v1/attribution?${reportQuery('day')}`),
        getJson('/v1/kiosks/health'),
        getJson('/v1/channels'),
      ]);
      if (generation !== state.loads) return;
      showDashboard();
      fillFilterChoices(catalogue);
      state.table = table;
      renderTable();
      drawFunnel(funnel);
      drawTrend(trend);
      renderHealth(health);
      const q = table.query;
      const only = [q.store && `store ${q.store}`, q.campaign && `campaign ${q.campaign}`].filter(Boolean);
      $('status').textContent =
        `${q.from} to ${q.to} (exclusive), rows by ${q.group_by}, ${q.model.replace('_', ' ')}` +
        (only.length ? `, only ${only.join(' and ')}` : '');
      $('dashboard').dataset.query = tableQuery.toString();
    } catch (error) {
      if (generation === state.loads) handleFailure(error);
    }
  }

  // The CSV needs the token too, so the link is fetched here and handed to the browser as a file.
  async function downloadCsv(event) {
    event.preventDefault();
    try {
      const response = await callApi($('csv-link').getAttribute('href'));
      const url = URL.createObjectURL(await response.blob());
      const anchor = html('a', undefined, { href: url, download: 'attribution.csv' });
      document.body.append(anchor);
      anchor.click();
      anchor.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (error) {
      handleFailure(error);
    }
  }

  function start() {
    const today = new Date();
    $('through').value = localDay(today);
    $('from').value = localDay(new Date(today.getTime() - 29 * DAY_MS));
    $('login-form').addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = $('token').value.trim();
      if (!token) return;
      $('token').value = '';
      try {
        await callApi(SESSION_PATH, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
      } catch (error) {
        showLogin(error.status === 401 ? refusedTokenMessage(error) : error.message);
        return;
      }
      showDashboard();
      load();
    });
    $('logout').addEventListener('click', async () => {
      try {
        await endSession();
        showLogin();
      } catch (error) {
        showError(`Could not log out: ${error.message}`);
      }
    });
    $('filters').addEventListener('submit', (event) => {
      event.preventDefault();
      load();
    });
    $('group-by').addEventListener('change', () => {
      $('path-level-field').hidden = $('group-by').value !== 'path';
    });
    $('row-filter').addEventListener('input', renderTable);
    $('csv-link').addEventListener('click', downloadCsv);
    load();  // with the session of an earlier login, if the browser still has one; else the login
  }

  start();
})();
)js";
}

}  // namespace kiosk_edge

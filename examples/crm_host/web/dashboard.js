// The omniroute wallboard: queues, agents and items with their SLA countdowns, kept live from
// the host's event stream (API.md). The token comes from the URL fragment (`/#token=...`), is
// kept in sessionStorage for reloads, and is sent only in the Authorization header.
'use strict';

(() => {
  const TOKEN_KEY = 'omniroute.token';
  const METRIC_ORDER = ['first_response', 'next_response', 'periodic_update', 'resolution'];
  const METRIC_LABELS = {
    first_response: 'First response',
    next_response: 'Next response',
    periodic_update: 'Update due',
    resolution: 'Resolution',
  };
  const ITEM_STATE_LABELS = {
    queued: 'queued',
    offered: 'offered',
    assigned: 'assigned',
    pending_customer: 'waiting on customer',
    resolved: 'resolved',
    reopened: 'reopened',
  };
  // Events re-read only the tables they can change; kinds not listed re-read everything.
  const TABLES_BY_KIND = {
    sla_warning: ['items'],
    sla_breached: ['items', 'kpis'],
    sla_met: ['items', 'kpis'],
    agent_state: ['agents', 'queues'],
  };
  const ALL_TABLES = ['queues', 'agents', 'items', 'kpis'];
  // A burst of events (a shift starting, a queue draining) costs at most one read per table in
  // this interval.
  const REFRESH_INTERVAL_MS = 500;
  // How often countdowns and waits are brought up to date.
  const TICK_MS = 250;
  // After a failed read; a stream that reconnects re-reads at once.
  const READ_RETRY_MS = 5000;
  // Queue figures such as the service level also move without events; re-read now and then.
  const BACKGROUND_REFRESH_MS = 30000;
  // How long a sample of the host's clock counts (see noteHostTime).
  const OFFSET_WINDOW_MS = 60000;
  const RECONNECT_FIRST_MS = 1000;
  const RECONNECT_MAX_MS = 15000;
  // The host sends a keep-alive every 15 s; a stream silent for longer than this has stalled.
  const STREAM_SILENCE_MS = 45000;

  class AuthError extends Error {}

  const board = {
    token: null,
    // Host time minus browser time, so that countdowns follow the host's clock.
    offsetMs: 0,
    offsetSamples: [],
    queues: null,
    queuesReadMs: 0,
    agents: null,
    items: null,
    kpis: null,
    // "item|metric" -> browser time the event arrived: SLA events applied before the next read.
    liveWarnings: new Map(),
    liveBreaches: new Map(),
    lastEventId: null,
    stopped: false,
  };

  const $ = (id) => document.getElementById(id);

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null) continue;
      if (name === 'className') {
        node.className = value;
      } else {
        node.setAttribute(name, value);
      }
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const hostNowMs = () => Date.now() + board.offsetMs;
  const clockKey = (item, metric) => `${item}|${metric}`;

  // ---- Formatting ----------------------------------------------------------------------------

  const pad2 = (n) => String(n).padStart(2, '0');

  // mm:ss under an hour, h:mm:ss under a day, then "Nd hh:mm"; negative spans get a minus sign.
  function formatSpan(ms) {
    const negative = ms < 0;
    const total = Math.floor(Math.abs(ms) / 1000);
    const days = Math.floor(total / 86400);
    const hours = Math.floor((total % 86400) / 3600);
    const minutes = Math.floor((total % 3600) / 60);
    const seconds = total % 60;
    let text;
    if (days > 0) {
      text = `${days}d ${pad2(hours)}:${pad2(minutes)}`;
    } else if (hours > 0) {
      text = `${hours}:${pad2(minutes)}:${pad2(seconds)}`;
    } else {
      text = `${pad2(minutes)}:${pad2(seconds)}`;
    }
    return negative ? `\u2212${text}` : text;
  }

  // Whole seconds rounded up, as countdowns do: 00:01 until the deadline, 00:00 from it, −00:01
  // a full second after it.
  const remainingMs = (deadlineMs, nowMs) => Math.ceil((deadlineMs - nowMs) / 1000) * 1000;

  function formatSeconds(seconds) {
    if (seconds === null || seconds === undefined) return '–';
    return formatSpan(seconds * 1000);
  }

  const formatPercent = (fraction) =>
      fraction === null || fraction === undefined ? '–' : `${Math.round(fraction * 100)}%`;

  const formatTime = (ms) => new Date(ms).toLocaleTimeString(
      [], {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'});

  // ---- Messages and connection state ---------------------------------------------------------

  function showMessage(text, {askForToken = false} = {}) {
    $('message-text').textContent = text;
    $('token-form').hidden = !askForToken;
    $('message').hidden = false;
    if (askForToken) $('token-input').focus();
  }

  function hideMessage() {
    $('message').hidden = true;
  }

  function setStreamState(state, text) {
    document.body.dataset.stream = state;
    $('stream-status').textContent = text;
  }

  function refuseToken() {
    board.stopped = true;
    sessionStorage.removeItem(TOKEN_KEY);
    $('board').hidden = true;
    setStreamState('refused', 'not connected');
    showMessage(
        'The host refused this access token (401). Ask for a valid token and open the page as ' +
            '/#token=YOUR_TOKEN — a read-only token is enough for the wallboard.',
        {askForToken: true});
  }

  // ---- Reading the API -----------------------------------------------------------------------

  async function getJson(path) {
    const response = await fetch(path, {
      headers: {Authorization: `Bearer ${board.token}`, Accept: 'application/json'},
      cache: 'no-store',
    });
    if (response.status === 401) throw new AuthError(path);
    if (!response.ok) {
      let detail = response.statusText;
      try {
        const body = await response.json();
        if (body && body.error && body.error.message) detail = body.error.message;
      } catch (ignored) {
        // A body that is not the API's JSON error: the status text says enough.
      }
      throw new Error(`${path}: ${response.status} ${detail}`);
    }
    return response.json();
  }

  // A read's `now` is the host's clock at its last tick before answering, so each answer shows
  // that clock as it was some time before the answer arrived: every sample is at most the true
  // offset. The largest recent sample is the closest; old ones are let go so that a clock set
  // back on either side is followed.
  function noteHostTime(nowIso) {
    const nowMs = Date.parse(nowIso);
    if (Number.isNaN(nowMs)) return;
    const receivedMs = Date.now();
    board.offsetSamples.push({receivedMs, offsetMs: nowMs - receivedMs});
    board.offsetSamples =
        board.offsetSamples.filter((sample) => receivedMs - sample.receivedMs <= OFFSET_WINDOW_MS);
    board.offsetMs = Math.max(...board.offsetSamples.map((sample) => sample.offsetMs));
  }

  const READERS = {
    async queues() {
      const body = await getJson('/api/queues');
      noteHostTime(body.now);
      // Waits tick on from the arrival, on the host's clock as best known (a host that has not
      // ticked yet answers with its configured origin).
      board.queuesReadMs = hostNowMs();
      board.queues = body.queues;
      renderQueues();
    },
    async agents() {
      const body = await getJson('/api/agents');
      noteHostTime(body.now);
      board.agents = body.agents;
      renderAgents();
    },
    async items() {
      const startedMs = Date.now();
      const body = await getJson('/api/items');
      noteHostTime(body.now);
      board.items = body.items;
      // Events that arrived before this read began are in its answer; later ones are kept.
      for (const live of [board.liveWarnings, board.liveBreaches]) {
        for (const [key, arrivedMs] of live) {
          if (arrivedMs < startedMs) live.delete(key);
        }
      }
      renderItems();
    },
    async kpis() {
      const body = await getJson('/api/kpis');
      board.kpis = body.kpis;
      renderKpis();
    },
  };

  const refresh = {pending: new Set(), timer: null, running: false, lastStartMs: 0, retryAtMs: 0};

  function requestRefresh(tables) {
    for (const table of tables) refresh.pending.add(table);
    if (refresh.timer !== null || refresh.running || board.stopped) return;
    const startMs = Math.max(refresh.lastStartMs + REFRESH_INTERVAL_MS, refresh.retryAtMs);
    refresh.timer = setTimeout(runRefresh, Math.max(0, startMs - Date.now()));
  }

  // Re-reads without waiting out a failed read's retry pause (the host answers again).
  function refreshSoon(tables) {
    refresh.retryAtMs = 0;
    if (refresh.timer !== null) {
      clearTimeout(refresh.timer);
      refresh.timer = null;
    }
    requestRefresh(tables);
  }

  async function runRefresh() {
    refresh.timer = null;
    refresh.running = true;
    refresh.lastStartMs = Date.now();
    const tables = [...refresh.pending];
    refresh.pending.clear();
    try {
      await Promise.all(tables.map((table) => READERS[table]()));
      renderSummary();
      if (document.body.dataset.stream !== 'refused') hideMessage();
    } catch (error) {
      if (error instanceof AuthError) {
        refuseToken();
        return;
      }
      for (const table of tables) refresh.pending.add(table);
      refresh.retryAtMs = Date.now() + READ_RETRY_MS;
      showMessage(`Cannot read the host: ${error.message}. Retrying.`);
    } finally {
      refresh.running = false;
    }
    if (refresh.pending.size > 0) requestRefresh([]);
  }

  // ---- The event stream ----------------------------------------------------------------------

  // Reads text/event-stream with fetch (EventSource cannot send the Authorization header) and
  // calls `onMessage(type, data)` per message and `onActivity()` per line, keep-alives included.
  async function readEventStream(response, onMessage, onActivity) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let type = '';
    let data = [];
    // An id counts once its message is complete: a stream cut mid-message resumes before it.
    let id = null;
    for (;;) {
      const {value, done} = await reader.read();
      if (done) return;
      buffer += value;
      let newline;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        onActivity();
        if (line === '') {
          if (id !== null) board.lastEventId = id;
          if (data.length > 0 || type) onMessage(type || 'message', data.join('\n'));
          id = null;
          type = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        if (field === 'event') type = fieldValue;
        if (field === 'data') data.push(fieldValue);
        if (field === 'id' && !fieldValue.includes('\0')) id = fieldValue;
      }
    }
  }

  function onEvent(type, data) {
    if (type === 'resync') {
      requestRefresh(ALL_TABLES);
      return;
    }
    let event;
    try {
      event = JSON.parse(data);
    } catch (ignored) {
      requestRefresh(ALL_TABLES);
      return;
    }
    if ((type === 'sla_warning' || type === 'sla_breached') && event.item && event.metric) {
      const live = type === 'sla_warning' ? board.liveWarnings : board.liveBreaches;
      live.set(clockKey(event.item, event.metric), Date.now());
      tickCountdowns();
    }
    requestRefresh(TABLES_BY_KIND[type] || ALL_TABLES);
  }

  async function followEvents() {
    let delayMs = RECONNECT_FIRST_MS;
    while (!board.stopped) {
      const controller = new AbortController();
      let silenceTimer = null;
      const stillAlive = () => {
        clearTimeout(silenceTimer);
        silenceTimer = setTimeout(() => controller.abort(), STREAM_SILENCE_MS);
      };
      try {
        const headers = {Authorization: `Bearer ${board.token}`, Accept: 'text/event-stream'};
        if (board.lastEventId !== null) headers['Last-Event-ID'] = board.lastEventId;
        stillAlive();
        const response =
            await fetch('/api/events', {headers, cache: 'no-store', signal: controller.signal});
        if (response.status === 401) throw new AuthError('/api/events');
        if (!response.ok || !response.body) {
          throw new Error(`the event stream answered ${response.status}`);
        }
        setStreamState('live', 'live');
        delayMs = RECONNECT_FIRST_MS;
        // Whatever happened while the stream was closed shows in a fresh read.
        refreshSoon(ALL_TABLES);
        await readEventStream(response, onEvent, stillAlive);
      } catch (error) {
        if (error instanceof AuthError) {
          clearTimeout(silenceTimer);
          refuseToken();
          return;
        }
      } finally {
        clearTimeout(silenceTimer);
      }
      if (board.stopped) return;
      setStreamState('reconnecting', `reconnecting in ${Math.round(delayMs / 1000)} s…`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, RECONNECT_MAX_MS);
    }
  }

  // ---- Rendering -----------------------------------------------------------------------------

  function replaceRows(table, rows, emptyText) {
    const body = table.tBodies[0];
    if (rows.length === 0) {
      const columns = table.tHead.rows[0].cells.length || 1;
      rows = [element('tr', {className: 'empty'}, element('td', {colspan: columns}, emptyText))];
    }
    body.replaceChildren(...rows);
  }

  function renderQueues() {
    const rows = board.queues.map((queue) => {
      const byPriority = Object.entries(queue.waiting_by_priority || {})
                             .filter(([, count]) => count > 0)
                             .map(([priority, count]) => `${priority} ${count}`)
                             .join(' · ');
      const wait = element('td', {className: 'num longest-wait'});
      wait.dataset.seconds = queue.longest_wait_seconds;
      wait.dataset.ticking = queue.waiting > 0 ? 'true' : 'false';
      const threshold = queue.service_level_threshold_seconds;
      return element(
          'tr', {'data-queue': queue.name}, element('th', {scope: 'row'}, queue.name),
          element(
              'td', {className: 'num waiting'}, element('span', {className: 'big'}, queue.waiting),
              byPriority ? element('span', {className: 'detail'}, byPriority) : null),
          wait,
          element(
              'td', {className: 'num service-level'}, formatPercent(queue.service_level),
              threshold === null ? null :
                                   element('span', {className: 'detail'}, `in ${threshold} s`)),
          element('td', {className: 'num staffing'},
                  `${queue.agents_available} / ${queue.agents_staffed}`,
                  element('span', {className: 'detail'}, 'free / on')),
          element('td', {className: 'num expected-wait'},
                  formatSeconds(queue.expected_wait_seconds)));
    });
    replaceRows($('queues'), rows, 'No queues configured.');
    tickQueues();
  }

  function loadCell(agent) {
    const channels = new Set([...Object.keys(agent.capacity || {}), ...Object.keys(agent.load)]);
    const channelList = element('div', {className: 'channels'});
    for (const channel of [...channels].sort()) {
      const used = agent.load[channel] || 0;
      const limit = (agent.capacity || {})[channel];
      const fill = limit ? Math.min(100, Math.round((100 * used) / limit)) : used > 0 ? 100 : 0;
      const bar = element('span', {className: 'bar'});
      bar.style.width = `${fill}%`;
      channelList.append(element(
          'span', {className: used > 0 ? 'channel busy' : 'channel', 'data-channel': channel},
          element('span', {className: 'channel-name'}, channel),
          element('span', {className: 'channel-count'}, limit ? `${used}/${limit}` : used),
          element('span', {className: 'meter'}, bar)));
    }
    return element('td', {className: 'load'}, channelList);
  }

  function renderAgents() {
    const rows = board.agents.map((agent) => {
      const stateText =
          agent.state === 'away' && agent.away_reason ? `away · ${agent.away_reason}` :
                                                        agent.state.replace('_', '-');
      const work = element('td', {className: 'work'});
      for (const item of agent.assigned) work.append(element('span', {className: 'tag'}, item));
      for (const item of agent.offered) {
        work.append(element('span', {className: 'tag offered', title: 'offered'}, item));
      }
      return element(
          'tr', {'data-agent': agent.id, 'data-state': agent.state},
          element('th', {scope: 'row'}, agent.id),
          element(
              'td', {className: 'state'},
              element('span', {className: `dot state-${agent.state}`, 'aria-hidden': 'true'}),
              stateText),
          loadCell(agent), work, element('td', {className: 'num'}, agent.handled));
    });
    replaceRows($('agents'), rows, 'No agents yet.');
  }

  const isOpenClock = (clock) => ['running', 'breached', 'paused'].includes(clock.state);

  function urgencyMs(item) {
    let best = Infinity;
    for (const clock of item.sla) {
      if ((clock.state === 'running' || clock.state === 'breached') && clock.deadline) {
        best = Math.min(best, Date.parse(clock.deadline));
      }
    }
    return best;
  }

  function clockCell(item, clock) {
    const cell = element('td', {
      className: 'countdown',
      'data-item': item.id,
      'data-metric': clock.metric,
      'data-state': clock.state,
    });
    if (clock.deadline) cell.dataset.deadline = String(Date.parse(clock.deadline));
    cell.dataset.targetSeconds = clock.target_seconds ?? '';
    cell.dataset.elapsedSeconds = clock.elapsed_seconds;
    cell.dataset.warned = clock.warned ? 'true' : 'false';
    if (!isOpenClock(clock)) {
      const late = clock.target_seconds !== null && clock.elapsed_seconds > clock.target_seconds;
      cell.className = `countdown sla-stopped${late ? ' late' : ''}`;
      cell.textContent = clock.state === 'met' ? (late ? 'met late' : 'met') : clock.state;
    }
    return cell;
  }

  function renderItems() {
    const metrics = METRIC_ORDER.filter(
        (metric) => board.items.some((item) => item.sla.some((clock) => clock.metric === metric)));
    const head = $('items').tHead.rows[0];
    head.replaceChildren(
        ...['Item', 'Queue', 'Channel', 'Priority', 'State', 'Agent', 'Level'].map(
            (label) => element('th', {scope: 'col'}, label)),
        ...metrics.map(
            (metric) => element('th', {scope: 'col', className: 'num'}, METRIC_LABELS[metric])));
    const ordered = [...board.items].sort((a, b) => {
      const byUrgency = urgencyMs(a) - urgencyMs(b);
      if (byUrgency !== 0 && !Number.isNaN(byUrgency)) return byUrgency;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    const rows = ordered.map((item) => {
      const labels = [item.tier, ...(item.tags || [])].filter(Boolean);
      const row = element(
          'tr', {'data-item': item.id, 'data-state': item.state},
          element(
              'th', {scope: 'row'}, item.id,
              labels.length ? element('span', {className: 'detail'}, labels.join(' · ')) : null),
          element('td', {}, item.queue), element('td', {}, item.channel),
          element('td', {className: 'priority'}, item.priority),
          element('td', {className: `item-state state-${item.state}`},
                  ITEM_STATE_LABELS[item.state] || item.state),
          element('td', {}, item.agent || '–'),
          element('td', {}, item.level_name || (item.level ? String(item.level) : '–')));
      for (const metric of metrics) {
        const clock = item.sla.find((candidate) => candidate.metric === metric);
        row.append(clock ? clockCell(item, clock) : element('td', {className: 'no-clock'}));
      }
      return row;
    });
    replaceRows($('items'), rows, 'No open items.');
    tickCountdowns();
  }

  function renderKpis() {
    const kpis = board.kpis;
    $('kpi-on-time').textContent = formatPercent(kpis.on_time);
    $('kpi-afr').textContent =
        kpis.first_responses > 0 ? formatSeconds(kpis.average_first_response_seconds) : '–';
    $('kpi-art').textContent =
        kpis.resolved > 0 ? formatSeconds(kpis.average_resolution_seconds) : '–';
  }

  function renderSummary() {
    if (board.queues) {
      $('sum-waiting').textContent = board.queues.reduce((sum, queue) => sum + queue.waiting, 0);
    }
    if (board.items) {
      $('sum-items').textContent = board.items.filter((item) => item.state !== 'resolved').length;
    }
    if (board.agents) {
      const available = board.agents.filter((agent) => agent.state === 'available').length;
      const on = board.agents.filter((agent) => agent.state !== 'offline').length;
      $('sum-agents').textContent = `${available} / ${on}`;
    }
  }

  // ---- Ticking -------------------------------------------------------------------------------

  // Writes only what changed, so that ticking several times a second costs next to nothing.
  function update(node, property, value) {
    if (node[property] !== value) node[property] = value;
  }

  // One countdown cell's text and colour at `nowMs`: amber once a warning fired in the clock's
  // cycle, red once its deadline passed (or the host says breached).
  function tickCountdown(cell, nowMs) {
    const state = cell.dataset.state;
    if (state !== 'running' && state !== 'breached' && state !== 'paused') return;
    const key = clockKey(cell.dataset.item, cell.dataset.metric);
    let remaining = Infinity;
    if (state === 'paused') {
      const target = parseFloat(cell.dataset.targetSeconds);
      if (!Number.isNaN(target)) {
        remaining = Math.ceil(target - parseFloat(cell.dataset.elapsedSeconds)) * 1000;
      }
    } else if (cell.dataset.deadline) {
      remaining = remainingMs(Number(cell.dataset.deadline), nowMs);
    }
    let severity = 'ok';
    if (state === 'breached' || remaining <= 0 || board.liveBreaches.has(key)) {
      severity = 'breached';
      // The host's word wins over a browser clock a few milliseconds behind it.
      remaining = Math.min(remaining, 0);
    } else if (cell.dataset.warned === 'true' || board.liveWarnings.has(key)) {
      severity = 'warning';
    }
    update(cell, 'className', `countdown sla-${severity}${state === 'paused' ? ' paused' : ''}`);
    const text = remaining === Infinity ? '–' : formatSpan(remaining);
    update(cell, 'textContent', state === 'paused' ? `paused ${text}` : text);
    const due = cell.dataset.deadline ? ` · due ${formatTime(Number(cell.dataset.deadline))}` : '';
    update(cell, 'title',
           `${METRIC_LABELS[cell.dataset.metric] || cell.dataset.metric}: ${severity}${due}`);
  }

  function tickCountdowns() {
    const nowMs = hostNowMs();
    for (const cell of document.querySelectorAll('#items td.countdown')) tickCountdown(cell, nowMs);
  }

  function tickQueues() {
    const sinceReadMs = Math.max(0, hostNowMs() - board.queuesReadMs);
    for (const cell of document.querySelectorAll('#queues td.longest-wait')) {
      const seconds = parseFloat(cell.dataset.seconds);
      const ticking = cell.dataset.ticking === 'true';
      update(cell, 'textContent',
             ticking ? formatSpan(seconds * 1000 + sinceReadMs) :
                       seconds > 0 ? formatSpan(0) : '–');
    }
  }

  // Each countdown steps at its own deadline's fraction of a second, so the page looks several
  // times a second rather than once on the browser's whole seconds.
  function tick() {
    update($('clock'), 'textContent', formatTime(hostNowMs()));
    tickCountdowns();
    tickQueues();
  }

  // ---- Start ---------------------------------------------------------------------------------

  function takeToken() {
    const fragment = new URLSearchParams(location.hash.slice(1));
    const fromFragment = fragment.get('token');
    if (fromFragment) {
      sessionStorage.setItem(TOKEN_KEY, fromFragment);
      history.replaceState(null, '', location.pathname + location.search);
    }
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function start() {
    board.token = takeToken();
    if (!board.token) {
      setStreamState('no-token', 'not connected');
      showMessage(
          'No access token. Open this page as /#token=YOUR_TOKEN (a read-only token is enough), ' +
              'or enter it here.',
          {askForToken: true});
      return;
    }
    board.stopped = false;
    hideMessage();
    $('board').hidden = false;
    setStreamState('connecting', 'connecting…');
    requestRefresh(ALL_TABLES);
    followEvents();
    setInterval(() => requestRefresh(ALL_TABLES), BACKGROUND_REFRESH_MS);
    tick();
    setInterval(tick, TICK_MS);
  }

  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const token = $('token-input').value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token-input').value = '';
    location.reload();
  });

  start();
})();

/*
 * portable-watch status page: live refresh, filters that live in the URL, arrow keys along a strip of attempts.
 * The page works without this file; it only spares the reload. Nothing here may throw or log: a wall screen runs
 * it for weeks, and the browser tests fail on any console error.
 */
'use strict';

(() => {
  const live = document.getElementById('live');
  const filters = document.getElementById('filters');
  const offline = document.getElementById('offline');
  const period = Number(live?.dataset.refresh) || 0;
  let etag = null;
  let timer;
  let searchTimer;
  let controller;
  // Only the newest request may swap the page or schedule the next one: a slower older answer is dropped.
  let generation = 0;

  /** The list is at `/`: after a refused form the address is `/silences`, which is no page to refresh. */
  function currentUrl() {
    return `/${location.search}`;
  }

  function schedule() {
    clearTimeout(timer);
    if (period > 0 && !document.hidden) timer = setTimeout(refresh, period);
  }

  async function refresh() {
    if (live === null) return;
    clearTimeout(timer);
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    const mine = ++generation;
    const url = currentUrl();
    try {
      const headers = { accept: 'text/html' };
      if (etag !== null) headers['if-none-match'] = etag;
      const response = await fetch(url, { headers, cache: 'no-store', credentials: 'same-origin', signal });
      if (mine !== generation) return;
      if (response.status === 304) {
        setOffline(false);
        return;
      }
      if (!response.ok) {
        setOffline(true);
        return;
      }
      const text = await response.text();
      if (mine !== generation || url !== currentUrl()) return;
      etag = response.headers.get('etag');
      swap(new DOMParser().parseFromString(text, 'text/html'));
      setOffline(false);
    } catch {
      // Aborted: replaced by a newer request, or the tab was hidden. Anything else: the worker is out of reach for now.
      if (mine === generation && !signal.aborted) setOffline(true);
    } finally {
      if (mine === generation) schedule();
    }
  }

  function setOffline(value) {
    if (offline !== null) offline.hidden = !value;
  }

  /** Moves the new page's nodes in, keeping focus and anything typed into a remove form's token field. */
  function swap(next) {
    const nextLive = next.getElementById('live');
    if (live === null || nextLive === null) return;
    const focus = rememberFocus();
    const typed = rememberTyped();
    live.replaceChildren(...nextLive.childNodes);
    const health = document.getElementById('health');
    const nextHealth = next.getElementById('health');
    if (health !== null && nextHealth !== null) health.replaceWith(nextHealth);
    syncFilterChoices(next);
    restoreTyped(typed);
    restoreFocus(focus);
  }

  function rememberFocus() {
    const active = document.activeElement;
    if (!(active instanceof HTMLElement) || live === null || !live.contains(active)) return null;
    const row = active.closest('[data-flow]');
    const flow = row instanceof HTMLElement ? row.dataset.flow : undefined;
    if (active.matches('.strip li') && active.parentElement !== null) {
      const marks = [...active.parentElement.children];
      return { kind: 'mark', flow, attempt: active.dataset.attempt, time: active.dataset.t, fromEnd: marks.length - 1 - marks.indexOf(active) };
    }
    const form = active.closest('form');
    if (form !== null && 'name' in active) return { kind: 'field', action: form.getAttribute('action'), name: active.name, tag: active.tagName };
    if (active.matches('a[href]')) return { kind: 'link', flow, href: active.getAttribute('href') };
    return null;
  }

  function restoreFocus(focus) {
    if (focus === null || live === null) return;
    let target = null;
    if (focus.kind === 'mark') target = findMark(focus);
    else if (focus.kind === 'field') target = findField(focus.action, focus.name, focus.tag);
    else if (focus.kind === 'link') {
      const scope = focus.flow === undefined ? live : live.querySelector(`[data-flow="${CSS.escape(focus.flow)}"]`);
      target = [...(scope?.querySelectorAll('a[href]') ?? [])].find((link) => link.getAttribute('href') === focus.href) ?? null;
    }
    if (target instanceof HTMLElement) {
      if (target.matches('.strip li')) rove(target);
      target.focus({ preventScroll: true });
    }
  }

  /** The same attempt if it is still shown (by id, else by its start and duration), else the same place. */
  function findMark(focus) {
    if (focus.flow === undefined || live === null) return null;
    const strip = live.querySelector(`[data-flow="${CSS.escape(focus.flow)}"] .strip`);
    if (strip === null) return null;
    const marks = [...strip.children];
    return (
      (focus.attempt !== undefined ? marks.find((mark) => mark.dataset.attempt === focus.attempt) : undefined) ??
      (focus.time !== undefined ? marks.find((mark) => mark.dataset.t === focus.time) : undefined) ??
      marks[Math.max(0, marks.length - 1 - focus.fromEnd)] ??
      null
    );
  }

  function findField(action, name, tag) {
    if (live === null) return null;
    for (const form of live.querySelectorAll('form')) {
      if (form.getAttribute('action') !== action) continue;
      const field = [...form.elements].find((element) => element.name === name && element.tagName === tag);
      if (field !== undefined) return field;
    }
    return null;
  }

  function rememberTyped() {
    if (live === null) return [];
    return [...live.querySelectorAll('form input')]
      .filter((input) => input.value !== '' && input.form !== null)
      .map((input) => ({ action: input.form.getAttribute('action'), name: input.name, value: input.value }));
  }

  function restoreTyped(typed) {
    for (const entry of typed) {
      const field = findField(entry.action, entry.name, 'INPUT');
      if (field !== null) field.value = entry.value;
    }
  }

  /** The filter's counts change as flows do; its selects are refreshed unless a person is using one. */
  function syncFilterChoices(next) {
    if (filters === null) return;
    for (const select of filters.querySelectorAll('select')) {
      if (select === document.activeElement) continue;
      const fresh = next.querySelector(`#filters select[name="${CSS.escape(select.name)}"]`);
      if (fresh === null) continue;
      const value = select.value;
      select.replaceChildren(...fresh.children);
      select.value = value;
    }
  }

  /** The form's filled fields as the URL's query: a reload or a shared link shows the same rows. */
  function applyFilters() {
    if (filters === null) return;
    const query = new URLSearchParams();
    for (const element of filters.elements) {
      if (!element.name || typeof element.value !== 'string') continue;
      const value = element.value.trim();
      if (value !== '') query.set(element.name, value);
    }
    const text = query.toString();
    history.replaceState(history.state, '', text === '' ? '/' : `/?${text}`);
    etag = null;
    void refresh();
  }

  const OUTCOMES = { 'o-s': 'succeeded', 'o-f': 'failed', 'o-e': 'ended', 'o-u': 'unrecognised' };

  /**
   * Roving tabindex: the mark that has (or gets) focus is its strip's one tab stop. Only the newest mark comes with a
   * label (30,000 would weigh the page down): the focused one gets its own here, from its class and `data-t`.
   */
  function rove(mark) {
    for (const each of mark.parentElement?.children ?? []) each.tabIndex = each === mark ? 0 : -1;
    const outcome = OUTCOMES[mark.className];
    if (!mark.hasAttribute('aria-label') && outcome !== undefined && mark.dataset.t) mark.setAttribute('aria-label', `${outcome}, started ${mark.dataset.t}`);
  }

  function onStripKey(event) {
    const mark = event.target;
    if (!(mark instanceof HTMLElement) || !mark.matches('.strip li') || mark.parentElement === null) return;
    const marks = [...mark.parentElement.children];
    const index = marks.indexOf(mark);
    const target = { ArrowLeft: index - 1, ArrowRight: index + 1, Home: 0, End: marks.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = marks[Math.min(Math.max(target, 0), marks.length - 1)];
    if (next instanceof HTMLElement) {
      rove(next);
      next.focus();
    }
  }

  document.addEventListener('keydown', onStripKey);
  document.addEventListener('focusin', (event) => {
    if (event.target instanceof HTMLElement && event.target.matches('.strip li')) rove(event.target);
  });

  if (filters !== null && live !== null) {
    filters.addEventListener('submit', (event) => {
      event.preventDefault();
      clearTimeout(searchTimer);
      applyFilters();
    });
    filters.addEventListener('change', (event) => {
      if (event.target instanceof HTMLSelectElement) applyFilters();
    });
    filters.addEventListener('input', (event) => {
      if (!(event.target instanceof HTMLInputElement) || event.target.type !== 'search') return;
      clearTimeout(searchTimer);
      searchTimer = setTimeout(applyFilters, 250);
    });
  }

  if (live !== null && period > 0) {
    document.addEventListener('visibilitychange', () => {
      if (document.hidden) {
        clearTimeout(timer);
        controller?.abort();
      } else void refresh();
    });
    schedule();
  }
})();

// The page's router: #/ (runs), #/run/<id>, #/compare/<id>,<id>..., #/studies, #/study/<name>.
import { get } from './api.js';
import { h, replace } from './dom.js';

const main = document.getElementById('main');
let info = { canDelete: false, store: '' };
let cleanup = () => {};

async function route() {
  cleanup();
  cleanup = () => {};
  delete main.dataset.ready;
  const [, page, arg] = location.hash.replace(/^#/, '').split('/');
  try {
    if (page === 'run' && arg) {
      const { showRun } = await import('./run.js');
      cleanup = await showRun(main, decodeURIComponent(arg), info);
    } else if (page === 'compare' && arg) {
      const { showCompare } = await import('./compare.js');
      await showCompare(main, arg.split(',').map(decodeURIComponent));
    } else if (page === 'studies' || (page === 'study' && arg)) {
      const { showStudies } = await import('./studies.js');
      await showStudies(main, arg ? decodeURIComponent(arg) : null);
    } else {
      const { showRuns } = await import('./runs.js');
      await showRuns(main);
      main.dataset.ready = '1';
    }
  } catch (e) {
    replace(main, h('p', { class: 'message error', id: 'page-error' }, e.message));
  }
}

async function start() {
  try {
    info = await get('/api/info');
    document.getElementById('store').textContent = info.store;
    if (!info.studies) document.getElementById('nav-studies').hidden = true;
  } catch (e) {
    replace(main, h('p', { class: 'message error' }, e.message));
    return;
  }
  window.addEventListener('hashchange', route);
  await route();
}

start();

// A small Conduit single-page app (no framework, no build): hash routes, one fetch wrapper.
// The API's base URL comes from the page's query string: index.html?api=http://host:port/api
// It sends its credential as `Authorization: Token <jwt>`, as Conduit front ends do, so every
// authenticated call (and every JSON body) is a non-simple cross-origin request: the browser
// sends a CORS preflight (OPTIONS) first and blocks the call unless the preflight is allowed.
'use strict';

const API = new URLSearchParams(location.search).get('api');
const PAGE_SIZE = 2;
const view = document.getElementById('view');
const nav = document.getElementById('nav');
const errorLine = document.getElementById('error');

function token() { return localStorage.getItem('jwt'); }
function me() { return localStorage.getItem('username'); }

function signedIn(user) {
  localStorage.setItem('jwt', user.token);
  localStorage.setItem('username', user.username);
}

function signOut() {
  localStorage.removeItem('jwt');
  localStorage.removeItem('username');
}

class ApiError extends Error {
  constructor(status, data) {
    super(`${status} ${JSON.stringify(data)}`);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (token()) headers.Authorization = `Token ${token()}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(API + path, {
    method, headers, mode: 'cors', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// h('a', {href: '#/'}, 'Home'): an element, text children escaped by construction.
function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : String(child));
    }
  }
  return node;
}

function show(...nodes) {
  view.replaceChildren(...nodes);
}

let generation = 0; // the latest navigation: an earlier one still loading never shows

function go(hash) {
  if (location.hash === hash) route(); else location.hash = hash;
}

function field(name, label, value = '', type = 'text') {
  const input = type === 'textarea'
    ? h('textarea', {name}, value) : h('input', {name, type, value});
  return h('label', {}, label, ' ', input);
}

function form(id, fields, submitLabel, onSubmit) {
  const node = h('form', {id}, fields, h('button', {type: 'submit'}, submitLabel));
  node.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = Object.fromEntries(new FormData(node).entries());
    run(() => onSubmit(values));
  });
  return node;
}

// Every action: errors are shown (the tests read them), never swallowed.
async function run(action) {
  errorLine.textContent = '';
  try {
    await action();
  } catch (error) {
    errorLine.textContent = `error: ${error.message}`;
  }
}

function renderNav() {
  const links = [h('a', {href: '#/global/1'}, 'Home')];
  if (me()) {
    links.push(h('a', {href: '#/editor'}, 'New article'), h('a', {href: '#/settings'}, 'Settings'),
      h('a', {href: `#/profile/${me()}`, id: 'me'}, me()),
      h('button', {id: 'logout', onclick: () => { signOut(); go('#/global/1'); }}, 'Log out'));
  } else {
    links.push(h('a', {href: '#/login'}, 'Sign in'), h('a', {href: '#/register'}, 'Sign up'));
  }
  nav.replaceChildren(...links);
}

function preview(article) {
  return h('div', {class: 'preview'},
    h('a', {href: `#/article/${article.slug}`, class: 'title'}, article.title),
    ' by ', h('a', {href: `#/profile/${article.author.username}`}, article.author.username),
    ` (${article.favoritesCount} favorites) `,
    h('span', {class: 'tags'}, article.tagList.join(' ')));
}

async function home(list, page, tag) {
  const offset = (page - 1) * PAGE_SIZE;
  const query = `limit=${PAGE_SIZE}&offset=${offset}` + (tag ? `&tag=${encodeURIComponent(tag)}` : '');
  const path = list === 'feed' ? `/articles/feed?${query}` : `/articles?${query}`;
  const [{tags}, {articles, articlesCount}] = await Promise.all([api('GET', '/tags'), api('GET', path)]);
  const pages = Math.max(1, Math.ceil(articlesCount / PAGE_SIZE));
  const base = list === 'tag' ? `#/tag/${tag}` : `#/${list}`;
  return [
    h('div', {id: 'tabs'}, h('a', {href: '#/global/1'}, 'Global feed'), ' ',
      me() ? h('a', {href: '#/feed/1', id: 'your-feed'}, 'Your feed') : null,
      tag ? ` #${tag}` : null),
    h('p', {id: 'tags'}, 'Tags: ', tags.map((t) => [h('a', {href: `#/tag/${t}/1`, class: 'tag'}, t), ' '])),
    h('div', {id: 'articles'}, articles.length ? articles.map(preview) : h('p', {}, 'No articles are here... yet.')),
    h('p', {id: 'paging'}, `page ${page} of ${pages} (${articlesCount} articles) `,
      page > 1 ? h('a', {href: `${base}/${page - 1}`, id: 'prev'}, 'Previous') : null, ' ',
      page < pages ? h('a', {href: `${base}/${page + 1}`, id: 'next'}, 'Next') : null)];
}

function register() {
  return [h('h1', {}, 'Sign up'), form('register', [field('username', 'Username'),
    field('email', 'Email'), field('password', 'Password', '', 'password')], 'Sign up',
  async (values) => {
    const {user} = await api('POST', '/users', {user: values});
    signedIn(user);
    go('#/global/1');
  })];
}

function login() {
  return [h('h1', {}, 'Sign in'), form('login', [field('email', 'Email'),
    field('password', 'Password', '', 'password')], 'Sign in',
  async (values) => {
    const {user} = await api('POST', '/users/login', {user: values});
    signedIn(user);
    go('#/global/1');
  })];
}

async function settings() {
  const {user} = await api('GET', '/user');
  return [h('h1', {}, 'Your settings'), form('settings', [field('image', 'Picture URL', user.image || ''),
    field('username', 'Username', user.username), field('bio', 'Bio', user.bio || '', 'textarea'),
    field('email', 'Email', user.email), field('password', 'New password', '', 'password')],
  'Update settings', async (values) => {
    if (!values.password) delete values.password;
    const {user: saved} = await api('PUT', '/user', {user: values});
    signedIn(saved);
    go(`#/profile/${saved.username}`);
  })];
}

async function editor(slug) {
  const article = slug ? (await api('GET', `/articles/${slug}`)).article
    : {title: '', description: '', body: '', tagList: []};
  return [h('h1', {}, slug ? 'Edit article' : 'New article'), form('editor', [
    field('title', 'Title', article.title), field('description', 'About', article.description),
    field('body', 'Body', article.body, 'textarea'), field('tags', 'Tags', article.tagList.join(' '))],
  'Publish', async (values) => {
    const body = {title: values.title, description: values.description, body: values.body};
    if (!slug) body.tagList = values.tags.split(/\s+/).filter(Boolean);
    const {article: saved} = slug ? await api('PUT', `/articles/${slug}`, {article: body})
      : await api('POST', '/articles', {article: body});
    go(`#/article/${saved.slug}`);
  })];
}

function followButton(profile, after) {
  return h('button', {id: 'follow', onclick: () => run(async () => {
    await api(profile.following ? 'DELETE' : 'POST', `/profiles/${profile.username}/follow`);
    await after();
  })}, `${profile.following ? 'Unfollow' : 'Follow'} ${profile.username}`);
}

async function article(slug) {
  const [{article: a}, {comments}] = await Promise.all([
    api('GET', `/articles/${slug}`), api('GET', `/articles/${slug}/comments`)]);
  const own = me() === a.author.username;
  const again = async () => show(...(await article(slug)));
  return [
    h('h1', {id: 'title'}, a.title),
    h('p', {id: 'author'}, 'by ', h('a', {href: `#/profile/${a.author.username}`}, a.author.username)),
    h('div', {id: 'body'}, a.body),
    h('p', {id: 'article-tags'}, a.tagList.join(' ')),
    own ? h('p', {}, h('a', {href: `#/editor/${a.slug}`, id: 'edit'}, 'Edit article'), ' ',
      h('button', {id: 'delete-article', onclick: () => run(async () => {
        await api('DELETE', `/articles/${a.slug}`);
        go('#/global/1');
      })}, 'Delete article'))
      : me() ? h('p', {}, followButton(a.author, again), ' ',
        h('button', {id: 'favorite', onclick: () => run(async () => {
          await api(a.favorited ? 'DELETE' : 'POST', `/articles/${a.slug}/favorite`);
          await again();
        })}, `${a.favorited ? 'Unfavorite' : 'Favorite'} (${a.favoritesCount})`)) : null,
    me() ? form('comment', [field('body', 'Comment', '', 'textarea')], 'Post comment',
      async (values) => {
        await api('POST', `/articles/${a.slug}/comments`, {comment: values});
        await again();
      }) : null,
    h('div', {id: 'comments'}, comments.map((c) => h('div', {class: 'comment'},
      h('span', {class: 'comment-body'}, c.body), ` by ${c.author.username} `,
      c.author.username === me() ? h('button', {class: 'delete-comment', onclick: () => run(async () => {
        await api('DELETE', `/articles/${a.slug}/comments/${c.id}`);
        await again();
      })}, 'Delete') : null)))];
}

async function profile(username) {
  const [{profile: p}, {articles}] = await Promise.all([
    api('GET', `/profiles/${username}`),
    api('GET', `/articles?author=${encodeURIComponent(username)}&limit=20`)]);
  return [h('h1', {id: 'username'}, p.username), h('p', {id: 'bio'}, p.bio || ''),
    me() && me() !== p.username ? followButton(p, async () => show(...(await profile(username)))) : null,
    h('div', {id: 'articles'}, articles.map(preview))];
}

async function route() {
  const mine = ++generation;
  renderNav();
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const [name, ...rest] = parts;
  document.body.dataset.view = '';
  await run(async () => {
    let nodes;
    if (name === 'register') nodes = register();
    else if (name === 'login') nodes = login();
    else if (name === 'settings') nodes = await settings();
    else if (name === 'editor') nodes = await editor(rest[0]);
    else if (name === 'article') nodes = await article(rest[0]);
    else if (name === 'profile') nodes = await profile(rest[0]);
    else if (name === 'feed') nodes = await home('feed', Number(rest[0] || 1));
    else if (name === 'tag') nodes = await home('tag', Number(rest[1] || 1), rest[0]);
    else nodes = await home('global', Number(rest[0] || 1));
    if (mine === generation) show(...nodes);
  });
  if (mine === generation) document.body.dataset.view = name || 'global';
}

window.addEventListener('hashchange', route);
route();

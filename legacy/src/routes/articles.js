'use strict';

// Articles: lists, the feed, single articles and favorites.

const express = require('express');
const { optionalAuth, requireAuth } = require('../auth');
const { forbidden, notFound, unprocessable } = require('../errors');
const articles = require('../store/articles');
const views = require('../views');
const {
  checkTagList, collectErrors, field, present, requireValid, stored, wrapper,
} = require('../validation');

const router = express.Router();
const FILTERS = ['tag', 'author', 'favorited'];
const EDITABLE = ['title', 'description', 'body'];
const MAX_INT = 2147483647;

function integerParam(value, fallback, min, max) {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^[0-9]+$/.test(value)) return null;
  const number = Number(value);
  return number >= min && number <= max ? number : null;
}

// Read filters (when `withFilters`) and the page from the query string, or throw 422.
function listQuery(query, withFilters) {
  const errors = {};
  const filters = {};
  for (const name of withFilters ? FILTERS : []) {
    const value = query[name];
    if (value === undefined) continue;
    if (typeof value !== 'string') errors[name] = ['must be a single value'];
    else if (value.includes('\0')) errors[name] = ['contains invalid characters'];
    else filters[name] = value;
  }
  const limit = integerParam(query.limit, 20, 1, 100);
  if (limit === null) errors.limit = ['must be an integer from 1 to 100'];
  const offset = integerParam(query.offset, 0, 0, MAX_INT);
  if (offset === null) errors.offset = [`must be an integer from 0 to ${MAX_INT}`];
  requireValid(errors);
  return { filters, page: { limit, offset } };
}

async function sendList(req, res, filters, page) {
  const { db } = req.app.locals;
  const viewerId = req.user?.id;
  const { rows, count } = await articles.list(db, filters, page);
  const items = await articles.load(db, rows, viewerId);
  res.json({
    articles: items.map((item) => views.article(item, { withBody: false })),
    articlesCount: count,
  });
}

async function sendArticle(req, res, row, status = 200) {
  const item = await articles.loadOne(req.app.locals.db, row, req.user?.id);
  res.status(status).json({ article: views.article(item) });
}

async function findArticle(req) {
  const article = await articles.findBySlug(req.app.locals.db, req.params.slug);
  if (!article) throw notFound('article');
  return article;
}

async function findOwnArticle(req) {
  const article = await findArticle(req);
  if (article.author_id !== req.user.id) throw forbidden('article');
  return article;
}

router.get('/articles', optionalAuth, async (req, res) => {
  const { filters, page } = listQuery(req.query, true);
  await sendList(req, res, filters, page);
});

router.get('/articles/feed', requireAuth, async (req, res) => {
  const { page } = listQuery(req.query, false);
  await sendList(req, res, { followerId: req.user.id }, page);
});

router.get('/articles/:slug', optionalAuth, async (req, res) => {
  await sendArticle(req, res, await findArticle(req));
});

router.post('/articles', requireAuth, async (req, res) => {
  const input = wrapper(req.body, 'article');
  const errors = collectErrors(input, EDITABLE);
  const { tags, error } = checkTagList(field(input, 'tagList'));
  if (error) errors.tagList = [error];
  requireValid(errors);
  const values = Object.fromEntries(EDITABLE.map((name) => [name, stored(input[name])]));
  const row = await articles.create(req.app.locals.db, req.user.id, { ...values, tags });
  await sendArticle(req, res, row, 201);
});

router.put('/articles/:slug', requireAuth, async (req, res) => {
  const article = await findOwnArticle(req);
  const input = wrapper(req.body, 'article');
  const fields = EDITABLE.filter((name) => present(input, name));
  if (fields.length === 0) {
    throw unprocessable({ article: [`must contain at least one of: ${EDITABLE.join(', ')}`] });
  }
  requireValid(collectErrors(input, fields));
  const changes = Object.fromEntries(fields.map((name) => [name, stored(input[name])]));
  await sendArticle(req, res, await articles.update(req.app.locals.db, article, changes));
});

router.delete('/articles/:slug', requireAuth, async (req, res) => {
  const article = await findOwnArticle(req);
  await articles.remove(req.app.locals.db, article.id);
  res.status(204).end();
});

router.post('/articles/:slug/favorite', requireAuth, async (req, res) => {
  const article = await findArticle(req);
  await articles.favorite(req.app.locals.db, req.user.id, article.id);
  await sendArticle(req, res, article);
});

router.delete('/articles/:slug/favorite', requireAuth, async (req, res) => {
  const article = await findArticle(req);
  await articles.unfavorite(req.app.locals.db, req.user.id, article.id);
  await sendArticle(req, res, article);
});

module.exports = { router, findArticle };

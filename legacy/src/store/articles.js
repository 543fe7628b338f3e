'use strict';

// Articles, their tags and favorites. Lists load relations for a whole page in a few queries.

const users = require('./users');
const { uniqueSlug } = require('../slug');

const NEWEST_FIRST = [
  { column: 'articles.created_at', order: 'desc' },
  { column: 'articles.id', order: 'desc' },
];

const findBySlug = (db, slug) =>
  users.storable(slug) ? db('articles').where({ slug }).first() : undefined;

// Attach tagList (names in code-point order), favorited, favoritesCount and author (with
// `following`) to article rows.
async function load(db, rows, viewerId) {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const authorIds = [...new Set(rows.map((row) => row.author_id))];
  const [tagRows, countRows, favoritedRows, authors, followed] = await Promise.all([
    db('article_tags')
      .join('tags', 'tags.id', 'article_tags.tag_id')
      .whereIn('article_tags.article_id', ids)
      .orderByRaw(`article_tags.article_id, ${db.byCodePoint('tags.name')}`)
      .select('article_tags.article_id', 'tags.name'),
    db('favorites').whereIn('article_id', ids).groupBy('article_id')
      .select('article_id').count({ count: '*' }),
    viewerId
      ? db('favorites').where('user_id', viewerId).whereIn('article_id', ids).select('article_id')
      : [],
    db('users').whereIn('id', authorIds).select('id', 'username', 'bio', 'image'),
    users.followedAmong(db, viewerId, authorIds),
  ]);
  const tags = new Map(ids.map((id) => [id, []]));
  for (const row of tagRows) tags.get(row.article_id).push(row.name);
  const counts = new Map(countRows.map((row) => [row.article_id, Number(row.count)]));
  const favorited = new Set(favoritedRows.map((row) => row.article_id));
  const authorById = new Map(authors.map((a) => [a.id, { ...a, following: followed.has(a.id) }]));
  return rows.map((row) => ({
    id: row.id,
    slug: row.slug,
    title: row.title,
    description: row.description,
    body: row.body,
    tagList: tags.get(row.id),
    createdAt: db.instant(row.created_at),
    updatedAt: db.instant(row.updated_at),
    favorited: favorited.has(row.id),
    favoritesCount: counts.get(row.id) || 0,
    author: authorById.get(row.author_id),
  }));
}

const loadOne = async (db, row, viewerId) => (await load(db, [row], viewerId))[0];

// Return {rows, count}: one page of matching articles, newest first, and the total.
async function list(db, { tag, author, favorited, followerId }, { limit, offset }) {
  const query = db('articles');
  if (tag) {
    query.whereExists(
      db('article_tags').join('tags', 'tags.id', 'article_tags.tag_id')
        .whereRaw('article_tags.article_id = articles.id').where('tags.name', tag),
    );
  }
  if (author) {
    query.whereExists(
      db('users').whereRaw('users.id = articles.author_id').where('users.username', author),
    );
  }
  if (favorited) {
    query.whereExists(
      db('favorites').join('users', 'users.id', 'favorites.user_id')
        .whereRaw('favorites.article_id = articles.id').where('users.username', favorited),
    );
  }
  if (followerId) {
    query.whereExists(
      db('follows').whereRaw('follows.followed_id = articles.author_id')
        .where('follows.follower_id', followerId),
    );
  }
  const [{ count }] = await query.clone().count({ count: '*' });
  const rows = await query.select('articles.*').orderBy(NEWEST_FIRST).limit(limit).offset(offset);
  return { rows, count: Number(count) };
}

async function saveTags(trx, articleId, names) {
  if (names.length === 0) return;
  await trx('tags').insert(names.map((name) => ({ name }))).onConflict('name').ignore();
  const tags = await trx('tags').whereIn('name', names).select('id', 'name');
  const idByName = new Map(tags.map((tag) => [tag.name, tag.id]));
  await trx('article_tags').insert(
    names.map((name, position) => ({ article_id: articleId, tag_id: idByName.get(name), position })),
  );
}

// Write with a free slug for `title`, retrying when a concurrent writer took it first. The slug
// is chosen before writing, so each transaction starts with a write (on SQLite a transaction
// that reads first cannot take the write lock once another connection has written).
async function withFreshSlug(db, title, exceptId, write) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write(await uniqueSlug(db, title, exceptId));
    } catch (err) {
      if (attempt >= 10 || db.uniqueViolation(err) !== 'slug') throw err;
    }
  }
}

function create(db, authorId, { title, description, body, tags }) {
  const now = db.timestamp(new Date());
  return withFreshSlug(db, title, null, (slug) => db.transaction(async (trx) => {
    const [row] = await trx('articles')
      .insert({ slug, title, description, body, author_id: authorId, created_at: now,
        updated_at: now })
      .returning('*');
    await saveTags(trx, row.id, tags);
    return row;
  }));
}

async function update(db, article, changes) {
  const values = { ...changes, updated_at: db.timestamp(new Date()) };
  const write = async (slug) => {
    const [row] = await db('articles').where('id', article.id)
      .update(slug ? { ...values, slug } : values).returning('*');
    return row;
  };
  if (changes.title === undefined || changes.title === article.title) return write(null);
  return withFreshSlug(db, changes.title, article.id, write);
}

const remove = (db, id) => db('articles').where({ id }).delete();

async function favorite(db, userId, articleId) {
  await db('favorites')
    .insert({ user_id: userId, article_id: articleId, created_at: db.timestamp(new Date()) })
    .onConflict(['user_id', 'article_id'])
    .ignore();
}

const unfavorite = (db, userId, articleId) =>
  db('favorites').where({ user_id: userId, article_id: articleId }).delete();

module.exports = { findBySlug, load, loadOne, list, create, update, remove, favorite, unfavorite };

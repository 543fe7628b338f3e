'use strict';

// Users and follows.

const bcrypt = require('bcryptjs');

const BCRYPT_COST = 10;

const findById = (db, id) => db('users').where({ id }).first();
// U+0000 cannot be stored (PostgreSQL refuses it in text), so no row can match it.
const storable = (value) => !value.includes('\0');

const findByUsername = (db, username) =>
  storable(username) ? db('users').where({ username }).first() : undefined;
const findByEmail = (db, email) =>
  storable(email) ? db('users').where({ email: email.toLowerCase() }).first() : undefined;

const hashPassword = (password) => bcrypt.hash(password, BCRYPT_COST);
const checkPassword = (password, hash) => bcrypt.compare(password, hash);

// Return the columns among `values` ({column: value}, in report order) that other users hold.
async function takenFields(db, values, exceptId = null) {
  const taken = [];
  for (const [column, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const query = db('users').where(column, value).first('id');
    if (exceptId !== null) query.whereNot('id', exceptId);
    if (await query) taken.push(column);
  }
  return taken;
}

async function create(db, { username, email, password }) {
  const now = db.timestamp(new Date());
  const [row] = await db('users')
    .insert({
      username,
      email,
      password_hash: await hashPassword(password),
      created_at: now,
      updated_at: now,
    })
    .returning('*');
  return row;
}

async function update(db, id, changes) {
  const values = { ...changes, updated_at: db.timestamp(new Date()) };
  if (Object.hasOwn(values, 'password')) {
    values.password_hash = await hashPassword(values.password);
    delete values.password;
  }
  const [row] = await db('users').where({ id }).update(values).returning('*');
  return row;
}

async function isFollowing(db, followerId, followedId) {
  if (!followerId) return false;
  const row = await db('follows')
    .where({ follower_id: followerId, followed_id: followedId })
    .first('followed_id');
  return Boolean(row);
}

// Return the subset of `userIds` that `followerId` follows, as a Set.
async function followedAmong(db, followerId, userIds) {
  if (!followerId || userIds.length === 0) return new Set();
  const rows = await db('follows')
    .where('follower_id', followerId)
    .whereIn('followed_id', userIds)
    .select('followed_id');
  return new Set(rows.map((row) => row.followed_id));
}

async function follow(db, followerId, followedId) {
  await db('follows')
    .insert({
      follower_id: followerId,
      followed_id: followedId,
      created_at: db.timestamp(new Date()),
    })
    .onConflict(['follower_id', 'followed_id'])
    .ignore();
}

const unfollow = (db, followerId, followedId) =>
  db('follows').where({ follower_id: followerId, followed_id: followedId }).delete();

module.exports = {
  storable, findById, findByUsername, findByEmail, checkPassword, takenFields, create, update,
  isFollowing, followedAmong, follow, unfollow,
};

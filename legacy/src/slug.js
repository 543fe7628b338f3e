'use strict';

// Slugs from titles: NFKD, combining marks removed, lower-cased, runs outside [a-z0-9] -> "-".

const MAX_BASE = 300; // leaves room for a "-N" suffix in the 320-character column

function slugify(title) {
  const base = title
    .normalize('NFKD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MAX_BASE)
    .replace(/-+$/, '');
  return base || 'article';
}

// Return the slug for `title` not used by any article other than `exceptId`.
async function uniqueSlug(db, title, exceptId = null) {
  const base = slugify(title);
  const query = db('articles')
    .select('slug')
    .where((q) => q.where('slug', base).orWhere('slug', 'like', `${base}-%`));
  if (exceptId !== null) query.whereNot('id', exceptId);
  const taken = new Set((await query).map((row) => row.slug));
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base}-${n}`)) n += 1;
  return `${base}-${n}`;
}

module.exports = { slugify, uniqueSlug };

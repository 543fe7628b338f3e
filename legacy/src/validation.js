'use strict';

// Field rules of the contract: each returns the first failing message, or null.

const { unprocessable } = require('./errors');

const BLANK = "can't be blank";
const USERNAME = /^[A-Za-z0-9_.-]+$/;
const EMAIL = /^[^@ \t\n\r\f\v]+@[^@ \t\n\r\f\v]+\.[^@ \t\n\r\f\v]+$/;

function codePoints(value) {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

// The value of an own property of a JSON object, undefined when absent.
const field = (object, key) => (Object.hasOwn(object, key) ? object[key] : undefined);
const present = (object, key) => Object.hasOwn(object, key);

function checkString(value, { required = false, min, max, maxBytes, pattern } = {}) {
  if (value === undefined || value === null) return required ? BLANK : null;
  if (typeof value !== 'string') return 'must be a string';
  if (required && value.trim() === '') return BLANK;
  const length = codePoints(value);
  if (min !== undefined && length < min) return `is too short (minimum is ${min} characters)`;
  if (max !== undefined && length > max) return `is too long (maximum is ${max} characters)`;
  if (maxBytes !== undefined && Buffer.byteLength(value, 'utf8') > maxBytes) {
    return `is too long (maximum is ${maxBytes} bytes)`;
  }
  if (value.includes('\0')) return 'contains invalid characters';
  if (pattern && !pattern.test(value)) return 'is invalid';
  return null;
}

const RULES = {
  username: { required: true, max: 64, pattern: USERNAME },
  email: { required: true, max: 254, pattern: EMAIL },
  password: { required: true, min: 8, maxBytes: 72 },
  bio: {},
  image: { max: 2048 },
  title: { required: true, max: 255 },
  description: { required: true, max: 1024 },
  body: { required: true },
};

// Check `fields` of `object` in order; with `onlyPresent`, absent fields are skipped.
function collectErrors(object, fields, { onlyPresent = false } = {}) {
  const errors = {};
  for (const name of fields) {
    if (onlyPresent && !present(object, name)) continue;
    const message = checkString(field(object, name), RULES[name]);
    if (message) errors[name] = [message];
  }
  return errors;
}

// Return the wrapper object (`user`, `article`, `comment`) of the request body, or throw 422.
function wrapper(body, name) {
  const value = isObject(body) ? field(body, name) : undefined;
  if (!isObject(value)) throw unprocessable({ [name]: ['must be an object'] });
  return value;
}

function requireValid(errors) {
  if (Object.keys(errors).length > 0) throw unprocessable(errors);
}

// Normalise a tag list: trimmed, blanks dropped, first occurrence kept; or the error message.
function checkTagList(value) {
  if (value === undefined || value === null) return { tags: [] };
  if (!Array.isArray(value) || !value.every((tag) => typeof tag === 'string')) {
    return { error: 'must be an array of strings' };
  }
  const trimmed = value.map((tag) => tag.trim().toWellFormed()).filter((tag) => tag !== '');
  const tags = [...new Set(trimmed)];
  if (tags.some((tag) => codePoints(tag) > 64 || tag.includes('\0'))) {
    return { error: 'must contain tags of at most 64 characters' };
  }
  return { tags };
}

// Stored text: lone UTF-16 surrogates become U+FFFD, as Node's UTF-8 encoder writes them.
const stored = (value) => (typeof value === 'string' ? value.toWellFormed() : value);

module.exports = {
  isObject, field, present, checkString, collectErrors, wrapper, requireValid, checkTagList,
  stored, codePoints,
};

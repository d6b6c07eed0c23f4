// Formatting shared by the pages: times, verdict and status badges, JSON.
import { h } from './dom.js';

export function toDate(value) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return new Date(value * 1000);
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function timeAgo(value) {
  const d = toDate(value);
  if (!d) return '—';
  const s = Math.round((Date.now() - d.getTime()) / 1000);
  if (s < 5) return 'just now';
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

export function timeLeft(value) {
  const d = toDate(value);
  if (!d) return '—';
  const s = Math.round((d.getTime() - Date.now()) / 1000);
  if (s <= 0) return 'expired';
  if (s < 60) return `${s}s left`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60}s left`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min left`;
}

export function dateTime(value) {
  const d = toDate(value);
  if (!d) return '—';
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function clock(value) {
  const d = toDate(value);
  return d ? d.toLocaleTimeString(undefined, { hour12: false }) : '—';
}

const VERDICT_LABEL = { allow: 'Allow', deny: 'Deny', intercept: 'Intercept' };

export function verdictBadge(verdict) {
  return h('span', { class: `badge badge-${verdict || 'none'}` }, VERDICT_LABEL[verdict] || verdict || '—');
}

const STATUS_CLASS = {
  pending: 'intercept', approved: 'allow', rejected: 'deny', expired: 'muted',
  completed: 'allow', blocked: 'deny', upstream_failed: 'deny', cancelled: 'muted',
  active: 'allow', revoked: 'muted', disabled: 'muted', engaged: 'deny',
};

export function statusBadge(status, label) {
  return h('span', { class: `badge badge-${STATUS_CLASS[status] || 'muted'}` }, label || status);
}

export function json(value) {
  return h('pre', { class: 'json' }, JSON.stringify(value, null, 2));
}

export function toolName(upstream, tool) {
  return upstream ? `${upstream}.${tool}` : tool;
}

export function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many || `${one}s`}`;
}

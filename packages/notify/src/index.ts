// Notifications (issue 14): rendering is pure (@sd-actions/core notify-message), sending is here.
export * from './webhook.js';
export * from './send.js';

/** IPC channel names shared by the preload and the main process's router; nothing else crosses IPC. */
export const CALL_CHANNEL = 'sightline:call';
export const EVENT_CHANNEL = 'sightline:event';

/** The image scheme the main process serves and the preload builds URLs for. */
export const IMAGE_SCHEME = 'sightline-image';

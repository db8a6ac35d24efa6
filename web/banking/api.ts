import { surfaceApi } from '../shared/api.js';

export const api = surfaceApi('banking');

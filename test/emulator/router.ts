import { matchPath } from '../../src/api/operations.js';
import type { RouteDef } from './routes/context.js';

export interface RouteMatch {
  route: RouteDef;
  params: Record<string, string>;
}

/** Matches a method and path against route templates (`{param}` = one segment). */
export class Router {
  constructor(private readonly routes: readonly RouteDef[]) {}

  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = matchPath(route.path, path);
      if (params) return { route, params };
    }
    return undefined;
  }

  /** Whether some route serves this path with another method. */
  hasPath(path: string): boolean {
    return this.routes.some((route) => matchPath(route.path, path) !== undefined);
  }
}

// Where the person is in the app: the part of the address after `#`, so every screen has an
// address that survives a reload and the binary serves one page for all of them.
import { useEffect, useState } from "react";

export type Route =
  | { screen: "inbox" }
  | { screen: "agents" }
  | { screen: "agent"; id: string }
  | { screen: "settings" };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  switch (parts[0]) {
    case "agents":
      return parts[1] ? { screen: "agent", id: decodeURIComponent(parts[1]) } : { screen: "agents" };
    case "settings":
      return { screen: "settings" };
    default:
      return { screen: "inbox" };
  }
}

export function addressOf(route: Route): string {
  switch (route.screen) {
    case "agent":
      return `#/agents/${encodeURIComponent(route.id)}`;
    case "agents":
      return "#/agents";
    case "settings":
      return "#/settings";
    default:
      return "#/inbox";
  }
}

export function go(route: Route): void {
  window.location.hash = addressOf(route);
}

/** The current route, following the address. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return route;
}

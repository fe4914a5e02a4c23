// Shared by the shell and the views without an import cycle: the shell registers how to
// navigate, views call navigate().
export interface View {
  // Frees what the view holds (the map, charts) when another view replaces it.
  dispose?: () => void;
}

let navigator: (url: string) => void = (url) => location.assign(url);

export function setNavigator(navigate: (url: string) => void): void {
  navigator = navigate;
}

export function navigate(url: string): void {
  navigator(url);
}

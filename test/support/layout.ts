import type { Page } from 'playwright-core';

/** The widths every page is checked at: a small phone, and a common laptop screen. */
export const viewports = {
  phone: { width: 375, height: 812 },
  desktop: { width: 1280, height: 900 },
} as const;

export type ViewportName = keyof typeof viewports;

/**
 * Fails if the page scrolls sideways, or if anything outside a table's own scroll area
 * (`.table-scroll`) reaches past the window's right edge, where it would be cut off. Tables
 * wider than the window may scroll inside their area; nothing else may be wider.
 */
export async function expectFitsWidth(page: Page, what: string): Promise<void> {
  const overflow = (await page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const element of document.querySelectorAll('body *')) {
      if (element.closest('.table-scroll') || element.classList.contains('skip-link')) continue;
      const box = element.getBoundingClientRect();
      if (box.width > 0 && box.right > width + 1)
        wide.push(element.tagName.toLowerCase() + (element.id ? '#' + element.id : '')
          + (element.className ? '.' + String(element.className).split(' ').join('.') : '')
          + ' right edge ' + Math.round(box.right));
    }
    return { width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10) };
  })()`)) as { width: number; scrollWidth: number; wide: string[] };
  if (overflow.scrollWidth > overflow.width || overflow.wide.length > 0)
    throw new Error(
      `${what} is wider than the window (${overflow.scrollWidth} > ${overflow.width} ` +
        `px): ${overflow.wide.join('; ') || 'no single element'}`,
    );
}

/** Whether the table scroll area holding `selector` has to scroll to show all of it. */
export async function scrollsSideways(page: Page, selector: string): Promise<boolean> {
  return (await page.evaluate(`(() => {
    const area = document.querySelector(${JSON.stringify(selector)}).closest('.table-scroll');
    return area.scrollWidth > area.clientWidth;
  })()`)) as boolean;
}

// The server writes each time in UTC, as it cannot know the reader's time zone: rewrite
// every <time class="local-time"> in the browser's own zone, in the page's language.
"use strict";
(function () {
  const written = new Intl.DateTimeFormat(document.documentElement.lang, {
    dateStyle: "long",
    timeStyle: "short",
  });
  for (const time of document.querySelectorAll("time.local-time")) {
    const moment = new Date(time.dateTime);
    if (!Number.isNaN(moment.getTime())) {
      time.textContent = written.format(moment);
    }
  }
})();

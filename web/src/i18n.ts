// The interface's words in English and Arabic, and the language a person reads it in: `?lang=`
// on any address first, then their choice (kept in this browser), then the browser's own.
// Arabic turns the whole layout right to left.

export type Language = "en" | "ar";

const english = {
  appName: "Switchboard",
  signIn: "Sign in",
  signOut: "Sign out",
  email: "Email",
  password: "Password",
  wrongCredentials: "Wrong email or password.",
  inbox: "Inbox",
  viewAll: "All",
  viewMine: "Mine",
  viewUnassigned: "Unassigned",
  viewTeams: "My teams",
  viewHandoffs: "Handoffs",
  search: "Search messages",
  waiting: "waiting {time}",
  noConversations: "No conversations here.",
  chooseConversation: "Choose a conversation.",
  reply: "Reply",
  send: "Send",
  writeReply: "Write a reply…",
  statusOpen: "Open",
  statusBot: "With the AI",
  statusResolved: "Resolved",
  statusSnoozed: "Snoozed",
  customer: "Customer",
  ai: "AI",
  person: "Person",
  system: "System",
  live: "Live",
  offline: "Reconnecting…",
  language: "العربية",
  failed: "Something went wrong.",
  note: "Private note",
  customerTyping: "The customer is typing…",
  aiTyping: "The AI is writing…",
  firstRun: "Set up Switchboard",
  firstRunIntro: "Name your workspace and make its first admin: you.",
  workspaceName: "Workspace name",
  newPassword: "Password (10 characters or more)",
  createWorkspace: "Create the workspace",
  contactLanguage: "Language",
  phone: "Phone",
  channelId: "On the channel",
  unsubscribed: "unsubscribed",
  writeNote: "Write a note only people see…",
  claim: "Take it",
  resolve: "Resolve",
  reopen: "Reopen",
  sources: "Sources",
  handoff: "Handed over",
  deliveryQueued: "Queued",
  deliverySent: "Sent",
  deliveryDelivered: "Delivered",
  deliveryRead: "Read",
  deliveryFailed: "Not delivered",
} as const;

export type Words = { [K in keyof typeof english]: string };

const arabic: Words = {
  appName: "سويتشبورد",
  signIn: "تسجيل الدخول",
  signOut: "تسجيل الخروج",
  email: "البريد الإلكتروني",
  password: "كلمة المرور",
  wrongCredentials: "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
  inbox: "صندوق الوارد",
  viewAll: "الكل",
  viewMine: "محادثاتي",
  viewUnassigned: "غير مسندة",
  viewTeams: "فرقي",
  viewHandoffs: "التحويلات",
  search: "ابحث في الرسائل",
  waiting: "ينتظر {time}",
  noConversations: "لا توجد محادثات هنا.",
  chooseConversation: "اختر محادثة.",
  reply: "رد",
  send: "إرسال",
  writeReply: "اكتب ردك…",
  statusOpen: "مفتوحة",
  statusBot: "مع الذكاء الاصطناعي",
  statusResolved: "محلولة",
  statusSnoozed: "مؤجلة",
  customer: "العميل",
  ai: "الذكاء الاصطناعي",
  person: "موظف",
  system: "النظام",
  live: "مباشر",
  offline: "جارٍ إعادة الاتصال…",
  language: "English",
  failed: "حدث خطأ ما.",
  note: "ملاحظة خاصة",
  customerTyping: "العميل يكتب الآن…",
  aiTyping: "الذكاء الاصطناعي يكتب…",
  firstRun: "إعداد سويتشبورد",
  firstRunIntro: "سمِّ مساحة العمل وأنشئ أول مسؤول فيها: أنت.",
  workspaceName: "اسم مساحة العمل",
  newPassword: "كلمة المرور (10 أحرف أو أكثر)",
  createWorkspace: "أنشئ مساحة العمل",
  contactLanguage: "اللغة",
  phone: "الهاتف",
  channelId: "على القناة",
  unsubscribed: "ألغى الاشتراك",
  writeNote: "اكتب ملاحظة لا يراها إلا الموظفون…",
  claim: "استلمها",
  resolve: "إغلاق",
  reopen: "إعادة فتح",
  sources: "المصادر",
  handoff: "تم التحويل",
  deliveryQueued: "في الانتظار",
  deliverySent: "أُرسلت",
  deliveryDelivered: "وصلت",
  deliveryRead: "قُرئت",
  deliveryFailed: "لم تصل",
};

export const catalogues: Record<Language, Words> = { en: english, ar: arabic };

const KEY = "switchboard:language";

function isLanguage(value: string | null | undefined): value is Language {
  return value === "en" || value === "ar";
}

/** The language to start in. */
export function initialLanguage(): Language {
  const asked = new URLSearchParams(window.location.search).get("lang");
  if (isLanguage(asked)) return asked;
  const chosen = window.localStorage.getItem(KEY);
  if (isLanguage(chosen)) return chosen;
  return navigator.language.toLowerCase().startsWith("ar") ? "ar" : "en";
}

/** Keeps the choice and lays the page out for it. */
export function applyLanguage(language: Language): void {
  window.localStorage.setItem(KEY, language);
  document.documentElement.lang = language;
  document.documentElement.dir = language === "ar" ? "rtl" : "ltr";
}

/** How long ago, as the language says it ("5 minutes"). */
export function formatSince(language: Language, milliseconds: number): string {
  const minutes = Math.max(0, Math.round((Date.now() - milliseconds) / 60000));
  const [amount, unit]: [number, Intl.RelativeTimeFormatUnit] =
    minutes < 60 ? [minutes, "minute"] : minutes < 1440 ? [Math.round(minutes / 60), "hour"]
      : [Math.round(minutes / 1440), "day"];
  return new Intl.NumberFormat(language, { style: "unit", unit, unitDisplay: "long" })
    .format(amount);
}

/** A time of day (or a date, when not today) as the language writes it. */
export function formatTime(language: Language, milliseconds: number): string {
  const at = new Date(milliseconds);
  const today = new Date().toDateString() === at.toDateString();
  const locale = language === "ar" ? "ar" : "en-GB";
  return today
    ? at.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" })
    : at.toLocaleDateString(locale, { day: "numeric", month: "short" });
}

import { seededRandom } from '../../common/random';

/**
 * What a 12-year helpdesk's people and messages look like: names in many scripts, subjects, and comment bodies
 * as Zendesk stores them (`plain_body`, and `html_body` with real markup). Bodies come from a pool built once per
 * seed, so millions of comments share a few hundred strings instead of holding one each.
 */

export const FIRST_NAMES = [
  'Ana',
  'Björn',
  'Chloé',
  'Dmitri',
  'Emeka',
  'Fatima',
  'Giulia',
  'Hiro',
  'Ingrid',
  'José',
  'Kavya',
  'Liam',
  'Mei',
  'Nora',
  'Óscar',
  'Priya',
  'Quentin',
  'Rania',
  'Søren',
  'Tomás',
  'Uma',
  'Vikram',
  'Wen',
  'Yara',
  'Zoë',
  'Łukasz',
  'Đorđe',
  'Ayşe',
  'Nguyễn',
  'Seo-yeon',
  '翔太',
  '美咲',
  'Олег',
  'محمد',
  'נועה',
  'Αθηνά',
];

export const LAST_NAMES = [
  'Ahmed',
  'Berg',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'García',
  'Håkansson',
  'Ito',
  'Jensen',
  'Kowalski',
  'López',
  'Müller',
  'Nakamura',
  "O'Brien",
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weiß',
  'Öztürk',
  'Nowak-Wiśniewska',
  'van der Berg',
  '佐藤',
  '김',
  'Иванова',
  'الحسيني',
  'כהן',
  'Παπαδόπουλος',
];

export const ORGANIZATION_WORDS = [
  'Acme',
  'Brightwave',
  'Café Müller',
  'Northwind',
  '東京テック',
  'Søndergaard',
  'Zürich Re',
  'Öko Bau',
  'Blue Harbor',
  'Nordlicht',
  'Łódź Logistics',
  'Saint-Étienne Textiles',
  'مؤسسة النور',
  'Kōbe Steelworks',
  'Pixel & Co',
];
export const ORGANIZATION_SUFFIXES = ['GmbH', 'Ltd', 'Inc.', 'S.A.', 'AB', '株式会社', 'LLC', 'SARL', 'B.V.', 'Group'];

export const SUBJECTS = [
  'Cannot log in after password reset',
  'Invoice #{n} shows the wrong VAT',
  'Export to CSV times out',
  'Feature request: dark mode',
  'Order {n} arrived damaged',
  'Bitte Rechnung {n} stornieren',
  'API returns 500 on /orders/{n}',
  'How do I add a teammate?',
  'Refund for duplicate charge ({n})',
  'Shipping address change — urgent',
  'アカウントの削除について ({n})',
  'SSO login loops back to the start page',
  'Commande {n} : colis non reçu',
  '订单 {n} 还没有发货',
  'مشكلة في الفاتورة رقم {n}',
  'בעיה בהתחברות לחשבון',
  'Re: Re: Fwd: your order {n}',
  '🚨 Site down for all users',
  'Pedido {n} llegó incompleto',
  'Zahlung für Auftrag {n} fehlgeschlagen',
  '<script>alert("subject")</script> in subject',
  'Quote for 500 seats & onboarding',
  'Password reset email never arrives',
  'Two-factor codes rejected',
];

const PHRASES = [
  'Thanks for reaching out!',
  'Could you send a screenshot of the error?',
  'I have forwarded this to our billing team.',
  'The issue is fixed in the latest release 🎉',
  'Merci beaucoup, ça marche maintenant.',
  'We are still seeing this on our side.',
  'Vielen Dank für die schnelle Hilfe — Grüße aus Köln.',
  'Please see the attached log file.',
  'Internal note: customer is on the legacy plan.',
  'ご連絡ありがとうございます。確認いたします。',
  '您好，我的订单还没有到，请帮忙查一下。',
  '안녕하세요, 결제가 두 번 되었습니다.',
  'شكراً لتواصلكم، سنعود إليكم قريباً.',
  'תודה רבה, הבעיה נפתרה.',
  'Спасибо, всё работает.',
  'Ευχαριστώ για τη βοήθεια!',
  'Our R&D team says <this> is expected & documented.',
  'Steps: 1) open settings 2) click “Export” 3) wait… nothing happens.',
  'Works on 👩‍💻 Chrome but not on Safari 🍏; flag 🇩🇪 shows as two letters.',
  'Déjà vu: the café’s naïve résumé parser fails again.',
  'Price was €1.299,00 instead of £999.',
  'Can you escalate this? We are losing orders every hour.',
  'I tried clearing the cache and cookies, same result.',
  'The webhook retries every 5 minutes and then gives up.',
  'Following up on this — any news?',
  'Closing this ticket as we have not heard back from you.',
  'Please do not close this ticket yet.',
  'Attached is the HAR file from the browser.',
  'Zero\u200Bwidth space and combining e\u0301 accent here.',
  'Line one\nLine two\n\tindented line three',
];

const SIGNATURES = [
  'Best regards',
  'Mit freundlichen Grüßen',
  'Cordialement',
  'よろしくお願いします',
  'Cheers',
  'مع التحية',
];

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const RTL = /[\u0590-\u08FF]/;

export interface Body {
  plain: string;
  html: string;
}

/** Comment bodies for one seed: plain text and the HTML Zendesk renders for it. */
export function bodyPool(seed: number, size = 400): Body[] {
  const random = seededRandom(seed ^ 0x5eed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]!;
  const pool: Body[] = [];
  for (let i = 0; i < size; i++) {
    const paragraphs: string[] = [];
    const n = 1 + Math.floor(random() * 4);
    for (let p = 0; p < n; p++) paragraphs.push(pick(PHRASES));
    // A few long bodies: pasted logs.
    if (i % 97 === 13)
      paragraphs.push(
        Array.from(
          { length: 200 },
          (_, k) =>
            `2019-03-0${(k % 9) + 1}T12:00:${String(k % 60).padStart(2, '0')}Z ERROR worker-${k % 7}: timeout after ${k * 13} ms`,
        ).join('\n'),
      );
    const signature = random() < 0.3 ? pick(SIGNATURES) : undefined;
    const plain = [...paragraphs, ...(signature ? [`${signature}\nSupport`] : [])].join('\n\n');
    const htmlParagraphs = paragraphs.map((text, k) => {
      const escaped = escapeHtml(text).replace(/\n/g, '<br>');
      const dir = RTL.test(text) ? ' dir="rtl"' : '';
      const style = (i + k) % 5;
      if (style === 1) return `<p${dir}><strong>${escaped}</strong></p>`;
      if (style === 2) return `<blockquote${dir}><p>${escaped}</p></blockquote>`;
      if (style === 3)
        return `<ul><li${dir}>${escaped}</li><li><a href="https://help.example.com/articles/${i}" rel="noreferrer">help.example.com/articles/${i}</a></li></ul>`;
      if (style === 4 && text.includes('\n')) return `<pre><code>${escaped}</code></pre>`;
      return `<p${dir}>${escaped}</p>`;
    });
    const html = `<div class="zd-comment" dir="auto">${htmlParagraphs.join('')}${signature ? `<p>${escapeHtml(signature)}<br><em>Support</em></p>` : ''}</div>`;
    pool.push({ plain, html });
  }
  return pool;
}

/** An ASCII e-mail local part from a name in any script (transliteration is not needed: it only has to be unique). */
export function emailLocal(first: string, last: string, n: number): string {
  const ascii = `${first}.${last}`
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ß/g, 'ss')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '');
  const cleaned = ascii.replace(/\.+/g, '.').replace(/^\.|\.$/g, '');
  return `${cleaned || 'user'}.${n}`;
}

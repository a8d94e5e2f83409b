// Every text of the pages, Japanese first, with English beside it, and the language choice.
// Keys are flat ("signup.title"); {name} in a text is filled by t(lang, key, {name: ...}).
// The rules the texts cite (R4, R6.3 ...) are docs/terms/RULES.md; the articles (第6条 ...) are
// the terms themselves (docs/terms/smartphone-support-terms.ja.txt).

export const LANGUAGES = ["ja", "en"];
const STORED = "anshin.lang"; // sessionStorage: this tab remembers the choice, nothing else does

export const MESSAGES = {
  ja: {
    "lang.name": "日本語",
    "app.name": "スマホ安心サポート",
    "app.loading": "読み込み中…",
    "app.loadFailed": "ページを準備できませんでした。通信状況を確認して、もう一度お試しください。",
    "app.retry": "もう一度読み込む",

    "signup.docTitle": "お申し込み | スマホ安心サポート",
    "signup.title": "スマホ安心サポートのお申し込み",
    "signup.intro":
      "保護する端末 1 台ごとにお申し込みください。「必須」と書かれた項目はすべて入力してください。",
    "form.required": "必須",
    "section.account": "ご契約中のモバイルサービス",
    "section.applicant": "お申し込みになる方",
    "section.device": "保護する端末",
    "section.terms": "利用規約",
    "section.location": "位置情報の取り扱い",

    "field.mobileContractId.label": "モバイルサービスの契約番号",
    "field.mobileContractId.help":
      "ご利用中のモバイルサービス（会員契約）の番号です。契約書類やご利用明細に記載されています。",
    "field.applicant.name.label": "お名前",
    "field.applicant.email.label": "メールアドレス",
    "field.applicant.email.help":
      "契約成立のお知らせ（会員確認のためのコードとサポート専用電話番号）をお送りします。",
    "field.applicant.phone.label": "電話番号",
    "field.applicant.phone.help": "数字だけで入力してください（ハイフンは不要です。例: 09012345678）。",
    "field.device.deviceId.label": "端末識別番号（IMEI など）",
    "field.device.deviceId.help":
      "保護する端末を特定する番号です。位置情報を提供しない場合も必ず必要です（第16条）。",
    "field.device.deviceId.where": "端末識別番号の確認方法",
    "field.device.deviceId.android":
      "「電話」アプリで *#06# とダイヤルすると表示されます。または「設定」→「デバイス情報」（機種により「端末情報」）→「IMEI」で確認できます。",
    "field.device.deviceId.ios":
      "「設定」→「一般」→「情報」の「IMEI」で確認できます（*#06# でも表示されます）。IMEI のない iPad（Wi-Fi モデル）は、同じ画面の「シリアル番号」を入力してください。",
    "field.device.platform.label": "端末の OS",
    "field.device.platform.android": "Android",
    "field.device.platform.ios": "iOS（iPhone・iPad）",
    "field.device.kind.label": "端末の種類",
    "field.device.kind.smartphone": "スマートフォン",
    "field.device.kind.tablet": "タブレット",
    "field.device.model.label": "機種名",
    "field.device.model.help": "例: Pixel 9、iPhone 16、Galaxy Tab S10",

    "terms.intro": "お申し込みの前に、利用規約の全文をお読みください（{version} 改定版）。",
    "terms.region": "利用規約の全文",
    "field.consent.termsVersion.label": "利用規約（{version} 改定版）を読み、その内容に同意します。",

    "field.consent.locationOptOut.label": "位置情報を提供するかどうか",
    "location.explain":
      "遠隔ロック・遠隔ワイプ（端末のデータ消去）を実行すると、端末はその時点の位置情報を報告します。位置情報を提供しない（オプトアウトする）と、端末から位置情報が届いても当社は保存しません。そのため、紛失した端末がロック・ワイプのときにどこにあったかを、サポートセンターからお伝えできなくなります。",
    "location.still":
      "電話サポート、遠隔ロック・ワイプ・設定のバックアップそのものは、オプトアウトしても変わらずご利用いただけます（第16条4項）。",
    "field.consent.locationOptOut.false": "位置情報を提供する",
    "field.consent.locationOptOut.true": "位置情報を提供しない（オプトアウト）",

    "signup.submit": "申し込む",
    "signup.sending": "送信しています…",
    "signup.resuming": "前回の送信の結果を確認しています…",
    "signup.invalid": "入力内容を確認してください（{count} 件）。各項目の下に説明があります。",
    "signup.network":
      "送信できませんでした。通信状況を確認して、もう一度「申し込む」を押してください。同じ内容で送り直しても、二重に申し込まれることはありません。",
    "signup.busy":
      "ただいま混み合っています。少し待ってから、もう一度「申し込む」を押してください。二重に申し込まれることはありません。",
    "signup.inProgress":
      "前回の送信をまだ処理しています。少し待ってから、もう一度「申し込む」を押してください。",
    "signup.keyReused": "前回の送信とは内容が変わっています。もう一度「申し込む」を押すと、新しいお申し込みとして送ります。",
    "signup.refused": "お申し込みを受け付けられませんでした（{code}）。時間をおいて、もう一度お試しください。",

    "error.required": "入力してください。",
    "error.choose": "どちらかを選んでください。",
    "error.consent": "お申し込みには、利用規約への同意が必要です。",
    "error.tooShort": "{min} 文字以上で入力してください。",
    "error.tooLong": "{max} 文字以内で入力してください。",
    "error.pattern": "入力の形式が正しくありません。",
    "error.pattern.mobileContractId": "契約番号を、空白を入れずに半角の英数字とハイフンで入力してください。",
    "error.pattern.applicant.email": "メールアドレスの形式で入力してください（例: taro@example.com）。",
    "error.pattern.applicant.phone": "電話番号を、ハイフンを入れずに半角数字で入力してください。",
    "error.pattern.device.deviceId": "端末に表示されたとおりに、空白を入れずに半角で入力してください。",
    "error.invalid": "この項目の内容を確認してください。",

    "status.docTitle": "お申し込み状況 | スマホ安心サポート",
    "status.title": "お申し込み状況",
    "status.applicationId": "受付番号",
    "status.receivedAt": "受付日時",
    "status.checkedAt": "最終確認: {time}",
    "status.bookmark": "このページの URL をブックマークすると、あとから状況を確認できます。",
    "status.step.RECEIVED": "受付",
    "status.step.SCREENING": "審査",
    "status.step.DECIDED": "審査結果",
    "status.step.CONTRACTED": "契約成立",
    "status.steps": "お申し込みの流れ",
    "status.current": "（現在）",
    "status.RECEIVED.title": "お申し込みを受け付けました",
    "status.RECEIVED.body": "受け付けた順に審査します（第6条1項）。この画面は自動で更新されます。",
    "status.SCREENING.title": "審査しています",
    "status.SCREENING.body": "まもなく結果が出ます。この画面は自動で更新されます。",
    "status.DEFERRED.title": "担当者が確認しています",
    "status.DEFERRED.body":
      "審査に時間をいただいています（第6条2項）。担当者の確認が終わると、この画面に結果が表示されます。この画面を閉じても、ブックマークからあとで確認できます。",
    "status.APPROVED.title": "承認されました",
    "status.APPROVED.body": "契約成立のお知らせをお送りしています。この画面は自動で更新されます。",
    "status.CONTRACTED.title": "ご契約が成立しました",
    "status.CONTRACTED.body":
      "会員確認のためのコードとサポート専用電話番号を、ご登録のメールアドレスと電話番号にお送りしました。このお知らせをお送りした時点で、ご契約が成立しています（第6条4項）。",
    "status.CONTRACTED.formedAt": "契約成立日時",
    "status.CONTRACTED.contractId": "契約番号",
    "status.CONTRACTED.next":
      "Android 端末で遠隔ロック・ワイプ・設定のバックアップをお使いになるには、端末にサポートアプリをインストールし、お知らせのコードで登録してください。",
    "status.REJECTED.title": "お申し込みをお受けできませんでした",
    "status.REJECTED.reason": "理由",
    "status.REJECTED.next": "次にできること",
    "status.NOTIFICATION_FAILED.title": "契約成立のお知らせをお送りできませんでした",
    "status.NOTIFICATION_FAILED.body":
      "お知らせをお送りできなかったため、ご契約は成立していません（第6条4項）。料金はかかりません。",
    "status.NOTIFICATION_FAILED.next":
      "ご登録のメールアドレスと電話番号をご確認のうえ、もう一度お申し込みください。",
    "status.unknown.title": "お申し込みを確認しています",

    "reason.INVALID_APPLICATION":
      "お申し込みの内容に誤りまたは不足がありました（第6条3項(1)）。たとえば、モバイルサービスの契約番号が見つからない場合や、現在の利用規約への同意がない場合です。",
    "reason.INVALID_APPLICATION.next":
      "モバイルサービスの契約番号をご確認のうえ、もう一度お申し込みください。",
    "reason.PAYMENT_RISK":
      "ご契約中のモバイルサービスの料金のお支払いが確認できていません（第6条3項(2)）。",
    "reason.PAYMENT_RISK.next":
      "ご利用中のモバイルサービスの窓口にお問い合わせください。お支払いが確認できましたら、あらためてお申し込みいただけます。",
    "reason.PRIOR_VIOLATION":
      "以前、利用規約への違反により、当社がご契約を解除したことがあります（第6条3項(3)）。",
    "reason.PRIOR_VIOLATION.next": "お心当たりがない場合は、サポートセンターにお問い合わせください。",
    "reason.NO_ELIGIBLE_RATE_CONTRACT":
      "ご指定のモバイルサービスの契約に、本サービスの対象となる通常料金の回線がありません（第6条3項(4)）。",
    "reason.NO_ELIGIBLE_RATE_CONTRACT.next":
      "ご契約中の料金プランを、モバイルサービスの窓口でご確認ください。",
    "reason.OTHER": "当社の業務上の理由により、お受けできませんでした（第6条3項(5)）。",
    "reason.OTHER.next": "詳しくはサポートセンターにお問い合わせください。",
    "reason.CONTRACT_LIMIT_REACHED":
      "1 つのモバイルサービスの契約で結べる本サービスの契約は 10 件までで、すでに上限に達しています（第4条）。",
    "reason.CONTRACT_LIMIT_REACHED.next":
      "使わなくなった端末のご契約を解約してください。解約は、お申し出の月の末日に終了します（第9条）。終了後に、あらためてお申し込みいただけます。",
    "reason.DEVICE_ALREADY_PROTECTED":
      "この端末は、すでに別の本サービスの契約で保護されています。本サービスの契約は 1 台の端末につき 1 件です（第6条3項(1)）。",
    "reason.DEVICE_ALREADY_PROTECTED.next":
      "端末識別番号に誤りがないかご確認ください。お心当たりがない場合は、サポートセンターにお問い合わせください（端末を保護している契約を確認します）。",
    "reason.unknown": "お受けできない理由がありました（{code}）。",
    "reason.unknown.next": "詳しくはサポートセンターにお問い合わせください。",

    "status.polling": "状況を自動で確認しています。",
    "status.paused": "自動の確認を休止しました。最新の状況は下のボタンで確認できます。",
    "status.refresh": "最新の状況を確認する",
    "status.retrying": "状況を取得できませんでした。しばらくしてから自動でもう一度確認します。",
    "status.notFound":
      "この受付番号のお申し込みは見つかりませんでした。URL と、お申し込みになった会員でログインしているかをご確認ください。",
    "status.noId": "受付番号が指定されていません。お申し込み後に表示されるページの URL をご確認ください。",
    "status.newApplication": "新しくお申し込みする",
    "time.zone": "（日本時間）",
  },
  en: {
    "lang.name": "English",
    "app.name": "Smartphone Anshin Support",
    "app.loading": "Loading…",
    "app.loadFailed": "The page could not be prepared. Check your connection and try again.",
    "app.retry": "Try again",

    "signup.docTitle": "Apply | Smartphone Anshin Support",
    "signup.title": "Apply for Smartphone Anshin Support",
    "signup.intro": "Apply once for each device you want to protect. Fill in every field marked “required”.",
    "form.required": "required",
    "section.account": "Your mobile service",
    "section.applicant": "About you",
    "section.device": "The device to protect",
    "section.terms": "Terms of use",
    "section.location": "Location data",

    "field.mobileContractId.label": "Mobile service contract number",
    "field.mobileContractId.help":
      "The number of the mobile service (membership) you use, printed on your contract papers and bills.",
    "field.applicant.name.label": "Full name",
    "field.applicant.email.label": "E-mail address",
    "field.applicant.email.help":
      "We send the contract notice (your member confirmation code and the support phone number) here.",
    "field.applicant.phone.label": "Phone number",
    "field.applicant.phone.help": "Digits only, no hyphens (e.g. 09012345678).",
    "field.device.deviceId.label": "Device ID (such as the IMEI)",
    "field.device.deviceId.help":
      "The number that identifies the device. It is always needed, even if you opt out of location data (Article 16).",
    "field.device.deviceId.where": "Where to find the device ID",
    "field.device.deviceId.android":
      "Dial *#06# in the Phone app, or open Settings → About phone (on some models “Device information”) → IMEI.",
    "field.device.deviceId.ios":
      "Open Settings → General → About and look for “IMEI” (dialling *#06# shows it too). An iPad without IMEI (Wi-Fi model): enter the “Serial Number” from the same screen.",
    "field.device.platform.label": "Operating system",
    "field.device.platform.android": "Android",
    "field.device.platform.ios": "iOS (iPhone, iPad)",
    "field.device.kind.label": "Device type",
    "field.device.kind.smartphone": "Smartphone",
    "field.device.kind.tablet": "Tablet",
    "field.device.model.label": "Model",
    "field.device.model.help": "For example: Pixel 9, iPhone 16, Galaxy Tab S10",

    "terms.intro":
      "Please read the full terms of use before you apply (revision of {version}). They are in Japanese; the Japanese text is the one that applies.",
    "terms.region": "Full text of the terms of use (Japanese)",
    "field.consent.termsVersion.label": "I have read the terms of use (revision of {version}) and agree to them.",

    "field.consent.locationOptOut.label": "Do you provide location data?",
    "location.explain":
      "When a remote lock or a remote wipe (erasing the device) runs, the device reports where it is at that moment. If you opt out, we do not store that location, whatever the device sends. Then the support centre cannot tell you where a lost device was when it was locked or wiped.",
    "location.still":
      "Phone support, remote lock, wipe and settings backup themselves work the same whether you opt out or not (Article 16, paragraph 4).",
    "field.consent.locationOptOut.false": "Provide location data",
    "field.consent.locationOptOut.true": "Do not provide location data (opt out)",

    "signup.submit": "Apply",
    "signup.sending": "Sending…",
    "signup.resuming": "Checking the result of your previous submission…",
    "signup.invalid": "Please check your entries ({count}). Each field says what is wrong below it.",
    "signup.network":
      "Your application could not be sent. Check your connection and press “Apply” again. Sending the same application again never applies twice.",
    "signup.busy":
      "We are busy right now. Wait a moment and press “Apply” again. You will not apply twice.",
    "signup.inProgress": "Your previous submission is still being processed. Wait a moment and press “Apply” again.",
    "signup.keyReused":
      "Your entries changed since the previous submission. Press “Apply” again to send them as a new application.",
    "signup.refused": "Your application could not be received ({code}). Please try again later.",

    "error.required": "Please fill this in.",
    "error.choose": "Please choose one.",
    "error.consent": "You need to agree to the terms of use to apply.",
    "error.tooShort": "Use at least {min} characters.",
    "error.tooLong": "Use at most {max} characters.",
    "error.pattern": "This is not in the expected format.",
    "error.pattern.mobileContractId": "Enter the contract number without spaces: letters, digits and hyphens.",
    "error.pattern.applicant.email": "Enter an e-mail address (e.g. taro@example.com).",
    "error.pattern.applicant.phone": "Enter the phone number in digits, without hyphens.",
    "error.pattern.device.deviceId": "Enter the ID exactly as the device shows it, without spaces.",
    "error.invalid": "Please check this field.",

    "status.docTitle": "Application status | Smartphone Anshin Support",
    "status.title": "Application status",
    "status.applicationId": "Application number",
    "status.receivedAt": "Received",
    "status.checkedAt": "Last checked: {time}",
    "status.bookmark": "Bookmark this page to check your application later.",
    "status.step.RECEIVED": "Received",
    "status.step.SCREENING": "Screening",
    "status.step.DECIDED": "Decision",
    "status.step.CONTRACTED": "Contract",
    "status.steps": "Steps of your application",
    "status.current": " (now)",
    "status.RECEIVED.title": "We have received your application",
    "status.RECEIVED.body":
      "Applications are screened in the order received (Article 6, paragraph 1). This page updates itself.",
    "status.SCREENING.title": "We are screening your application",
    "status.SCREENING.body": "The result follows shortly. This page updates itself.",
    "status.DEFERRED.title": "Our staff are reviewing your application",
    "status.DEFERRED.body":
      "The decision takes a little longer (Article 6, paragraph 2). When our staff have decided, the result appears on this page. You can close it and come back through a bookmark.",
    "status.APPROVED.title": "Your application is approved",
    "status.APPROVED.body": "We are sending your contract notice. This page updates itself.",
    "status.CONTRACTED.title": "Your contract is in place",
    "status.CONTRACTED.body":
      "Your member confirmation code and the support phone number were sent to your e-mail address and phone. The contract formed when that notice was sent (Article 6, paragraph 4).",
    "status.CONTRACTED.formedAt": "Contract formed",
    "status.CONTRACTED.contractId": "Contract number",
    "status.CONTRACTED.next":
      "To use remote lock, wipe and settings backup on an Android device, install the support app on it and register it with the code from the notice.",
    "status.REJECTED.title": "We could not accept your application",
    "status.REJECTED.reason": "Why",
    "status.REJECTED.next": "What you can do",
    "status.NOTIFICATION_FAILED.title": "We could not send your contract notice",
    "status.NOTIFICATION_FAILED.body":
      "Because the notice could not be sent, no contract was formed (Article 6, paragraph 4), and nothing is charged.",
    "status.NOTIFICATION_FAILED.next": "Check your e-mail address and phone number, then apply again.",
    "status.unknown.title": "Checking your application",

    "reason.INVALID_APPLICATION":
      "The application was wrong or incomplete (Article 6.3 (1)): for example, the mobile service contract number was not found, or the terms of use in force were not agreed to.",
    "reason.INVALID_APPLICATION.next": "Check your mobile service contract number and apply again.",
    "reason.PAYMENT_RISK": "A payment for your mobile service is overdue (Article 6.3 (2)).",
    "reason.PAYMENT_RISK.next":
      "Please contact your mobile service. Once the payment is settled, you can apply again.",
    "reason.PRIOR_VIOLATION":
      "We ended a contract of yours before because the terms of use were broken (Article 6.3 (3)).",
    "reason.PRIOR_VIOLATION.next": "If you think this is a mistake, please contact the support centre.",
    "reason.NO_ELIGIBLE_RATE_CONTRACT":
      "The mobile service contract you gave has no normal-rate line, which this service needs (Article 6.3 (4)).",
    "reason.NO_ELIGIBLE_RATE_CONTRACT.next": "Please ask your mobile service about your rate plan.",
    "reason.OTHER": "We could not accept it for business reasons (Article 6.3 (5)).",
    "reason.OTHER.next": "Please contact the support centre for details.",
    "reason.CONTRACT_LIMIT_REACHED":
      "A mobile service contract can hold at most 10 contracts of this service, and yours already has 10 (Article 4).",
    "reason.CONTRACT_LIMIT_REACHED.next":
      "Cancel the contract of a device you no longer use: it ends at the end of the month you cancel in (Article 9). After that, you can apply again.",
    "reason.DEVICE_ALREADY_PROTECTED":
      "This device is already protected by another contract of this service: one contract per device (Article 6.3 (1)).",
    "reason.DEVICE_ALREADY_PROTECTED.next":
      "Check the device ID. If you do not know of that contract, please contact the support centre: we will look into which contract protects the device.",
    "reason.unknown": "There was a reason we could not accept it ({code}).",
    "reason.unknown.next": "Please contact the support centre for details.",

    "status.polling": "Checking for updates automatically.",
    "status.paused": "Automatic checking has paused. Use the button below to see the latest status.",
    "status.refresh": "Check for updates",
    "status.retrying": "The status could not be read. It is checked again automatically shortly.",
    "status.notFound":
      "There is no application with this number. Please check the address, and that you are signed in as the member who applied.",
    "status.noId": "No application number was given. Please check the address of the page shown after you applied.",
    "status.newApplication": "Start a new application",
    "time.zone": " JST",
  },
};

// The cancellation page (cancel.html, R9), Japanese first: one block per language.
Object.assign(MESSAGES.ja, {
  "cancel.docTitle": "解約のお手続き | スマホ安心サポート",
  "cancel.title": "スマホ安心サポートの解約",
  "cancel.intro":
    "サポートアプリをお使いでない方（iPhone・iPad の方など）は、このページから解約をお申し出いただけます。お申し出がこのページで確定した日の属する料金月の末日（日本時間 23:59:59）に契約が終了します（第9条）。",
  "cancel.step.ask": "1. 会員確認のためのコード",
  "cancel.step.code": "2. ワンタイムコード",
  "cancel.step.preview": "3. 解約内容の確認",
  "cancel.step.done": "解約のお申し出を受け付けました",
  "cancel.memberCode.label": "会員確認のためのコード（8 桁）",
  "cancel.memberCode.help": "契約成立のお知らせ（メール）に記載されている 8 桁の数字です。",
  "cancel.memberCode.invalid": "8 桁の数字を入力してください。",
  "cancel.ask.submit": "ワンタイムコードを送る",
  "cancel.ask.sent":
    "ご登録のメールアドレスに 6 桁のワンタイムコードをお送りしました（有効期限: {time}）。コードが届かない場合は、会員確認のためのコードをお確かめのうえ、最初からやり直してください。",
  "cancel.code.label": "ワンタイムコード（6 桁）",
  "cancel.code.invalid": "6 桁の数字を入力してください。",
  "cancel.code.wrong": "ワンタイムコードが正しくありません。あと {left} 回まで入力できます。",
  "cancel.code.submit": "解約内容を確認する",
  "cancel.preview.lead": "解約を確定すると、次のとおり契約が終了します。まだ確定していません。",
  "cancel.preview.endsAt": "契約の終了日時",
  "cancel.preview.lastBilledMonth": "ご利用料金がかかる最後の料金月",
  "cancel.preview.noneBilled": "ご利用料金はかかりません",
  "cancel.preview.contractId": "契約番号",
  "cancel.preview.existing": "この契約はすでに終了が決まっています。解約を確定しても終了日時は変わりません。",
  "cancel.preview.confirm": "解約を確定する",
  "cancel.preview.back": "やめる",
  "cancel.done.body": "解約のお申し出を受け付けました。確認のお知らせをご登録の連絡先にお送りしました。",
  "cancel.done.receivedAt": "お申し出の受付日時",
  "cancel.done.endsAt": "契約の終了日時",
  "cancel.restart": "最初からやり直す",
  "cancel.expired": "ワンタイムコードの有効期限が切れました。最初からやり直してください。",
  "cancel.endChanged": "日付が変わったため、契約の終了日時が変わりました。新しい終了日時をご確認のうえ、もう一度確定してください。まだ解約は確定していません。",
  "cancel.locked": "ワンタイムコードを続けて間違えたため、このコードは使えなくなりました。最初からやり直してください。",
  "cancel.notFound": "お手続きの有効期限が切れました。最初からやり直してください。",
  "cancel.tooMany": "お試しの回数が多すぎます。しばらく（{minutes} 分ほど）待ってから、もう一度お試しください。",
  "cancel.ended": "この契約はすでに終了しています。",
  "cancel.network": "送信できませんでした。通信状況を確認して、もう一度お試しください。二重に受け付けられることはありません。",
  "cancel.refused": "お手続きを進められませんでした（{code}）。時間をおいて、もう一度お試しください。",
});
Object.assign(MESSAGES.en, {
  "cancel.docTitle": "Cancel | Smartphone Anshin Support",
  "cancel.title": "Cancel Smartphone Anshin Support",
  "cancel.intro":
    "If you do not use the support app (on an iPhone or iPad, for example), you can give notice of cancellation here. The contract ends at the end (23:59:59 Japan time) of the billing month in which you confirm on this page (Article 9).",
  "cancel.step.ask": "1. Member confirmation code",
  "cancel.step.code": "2. One-time code",
  "cancel.step.preview": "3. Check before you cancel",
  "cancel.step.done": "Your notice of cancellation is received",
  "cancel.memberCode.label": "Member confirmation code (8 digits)",
  "cancel.memberCode.help": "The 8 digits in the e-mail that told you your contract was formed.",
  "cancel.memberCode.invalid": "Enter 8 digits.",
  "cancel.ask.submit": "Send me a one-time code",
  "cancel.ask.sent":
    "We have sent a 6-digit one-time code to the e-mail address on file (valid until {time}). If none arrives, check the member confirmation code and start again.",
  "cancel.code.label": "One-time code (6 digits)",
  "cancel.code.invalid": "Enter 6 digits.",
  "cancel.code.wrong": "The one-time code is not correct. You can try {left} more times.",
  "cancel.code.submit": "Check the cancellation",
  "cancel.preview.lead": "If you confirm, the contract ends as follows. Nothing has been cancelled yet.",
  "cancel.preview.endsAt": "The contract ends at",
  "cancel.preview.lastBilledMonth": "The last billing month charged",
  "cancel.preview.noneBilled": "No fee is charged",
  "cancel.preview.contractId": "Contract number",
  "cancel.preview.existing": "This contract is already due to end. Confirming does not change when it ends.",
  "cancel.preview.confirm": "Confirm the cancellation",
  "cancel.preview.back": "Stop",
  "cancel.done.body": "Your notice of cancellation is received. A confirmation has been sent to your contact on file.",
  "cancel.done.receivedAt": "Notice received at",
  "cancel.done.endsAt": "The contract ends at",
  "cancel.restart": "Start again",
  "cancel.expired": "The one-time code has expired. Please start again.",
  "cancel.endChanged": "The date has changed, so the contract's end has changed. Please check the new end and confirm again. Nothing has been cancelled yet.",
  "cancel.locked": "The one-time code was entered wrongly too many times and no longer works. Please start again.",
  "cancel.notFound": "This request has expired. Please start again.",
  "cancel.tooMany": "Too many attempts. Please wait a while (about {minutes} minutes) and try again.",
  "cancel.ended": "This contract has already ended.",
  "cancel.network": "Could not send. Check your connection and try again; nothing is received twice.",
  "cancel.refused": "We could not go on ({code}). Please try again later.",
});

// Members (issue 23): sign-in on the signup and status pages, and my page (mypage.html).
Object.assign(MESSAGES.ja, {
  "member.signIn": "会員ログイン",
  "member.signOut": "ログアウト",
  "member.myPage": "マイページ",
  "member.signedInAs": "ログイン中の会員",
  "member.account": "モバイルサービスの契約番号 {account}",
  "member.checking": "ログインの状態を確認しています…",
  "member.expired": "ログインの有効期限が切れました。もう一度会員ログインしてください。",
  "member.failed": "ログインできませんでした。もう一度「会員ログイン」を押してください。",
  "member.unavailable": "会員ログインを準備できませんでした。時間をおいて、もう一度お試しください。",
  "member.noAccount":
    "ログイン中の会員には、モバイルサービスの契約番号が登録されていません。モバイルサービスの窓口にお問い合わせください。",
  "member.signup.title": "お申し込みには会員ログインが必要です",
  "member.signup.body":
    "スマホ安心サポートは、モバイルサービスの契約者ご本人（会員）だけがお申し込みいただけます（第5条）。会員ログインすると、ご契約のモバイルサービスの契約番号がお申し込みに入ります。",
  "member.status.title": "お申し込み状況の確認には会員ログインが必要です",
  "member.status.body":
    "お申し込み状況は、お申し込みになった会員ご本人だけがご覧になれます。会員ログインすると、このお申し込みの状況を表示します。",
  "member.mypage.title": "マイページのご利用には会員ログインが必要です",
  "member.mypage.body":
    "マイページでは、ご契約の内容とご請求の確認、解約のお申し出、位置情報の設定の変更ができます。モバイルサービスの会員としてログインしてください。",
  "field.mobileContractId.signedIn":
    "ログイン中の会員の契約番号です。変更できません（ほかの契約番号ではお申し込みいただけません）。",

  "signup.notHolder":
    "お申し込みは、ログイン中の会員のモバイルサービスの契約番号（{account}）に限ります。ほかの契約番号ではお申し込みいただけません。",
  "signup.membersOnly":
    "このアカウントではお申し込みいただけません。ログアウトして、モバイルサービスの会員としてログインしてください。",
  "signup.tooMany":
    "本日のお申し込みの上限（1 日 10 件）に達しました。{wait}ほど待って、{time}以降にもう一度お申し込みください。",
  "signup.expired":
    "ログインの有効期限が切れました。もう一度会員ログインしてから「申し込む」を押してください。入力内容はこのタブに残っています。",
  "status.CONTRACTED.myPage": "ご契約の内容とご請求は、マイページでいつでもご確認いただけます。",
  "status.toMyPage": "マイページへ",

  "wait.hours": "{hours} 時間",
  "wait.minutes": "{minutes} 分",
  "wait.join": " ",

  "mypage.docTitle": "マイページ | スマホ安心サポート",
  "mypage.title": "マイページ",
  "mypage.intro": "ご契約の内容とご請求を確認し、解約のお申し出や位置情報の設定の変更ができます。",
  "mypage.loadFailed": "ご契約の情報を読み込めませんでした（{code}）。通信状況を確認して、もう一度お試しください。",
  "mypage.refreshFailed": "最新の情報を読み込めませんでした（{code}）。表示は少し前の内容です。",
  "mypage.contracts": "ご契約",
  "mypage.contracts.count": "{count} 件（1 つのモバイルサービスの契約につき 10 件まで・第4条）",
  "mypage.contracts.none": "このモバイルサービスの契約番号には、スマホ安心サポートのご契約がありません。",
  "mypage.apply": "新しくお申し込みする",
  "mypage.contract.id": "契約番号",
  "mypage.contract.status": "状態",
  "mypage.contract.status.ACTIVE": "ご利用中",
  "mypage.contract.status.CANCELLATION_PENDING": "解約予定",
  "mypage.contract.status.ENDED": "終了",
  "mypage.contract.deviceId": "端末識別番号",
  "mypage.contract.device": "端末",
  "mypage.contract.formedAt": "契約成立日時",
  "mypage.contract.firstBillableMonth": "料金がかかる最初の月",
  "mypage.contract.firstUnderAccount":
    "このモバイルサービスの契約で最初のご契約のため、成立した月の翌々料金月から料金がかかります（第12条）。",
  "mypage.contract.endsAt": "終了予定日時",
  "mypage.contract.endedAt": "終了日時",
  "mypage.contract.endReason": "終了の理由",
  "mypage.contract.endReason.SUBSCRIBER_CANCELLATION": "お客さまによる解約（第9条）",
  "mypage.contract.endReason.COMPANY_TERMINATION": "当社による契約の解除（第10条）",
  "mypage.contract.endReason.ACCOUNT_LOSS": "モバイルサービスの契約の終了など（第11条）",
  "mypage.contract.title": "{model}（{platform}）",

  "mypage.location.legend": "位置情報の取り扱い",
  "mypage.location.switch": "位置情報を提供しない（オプトアウト）",
  "mypage.location.now.true": "現在: 位置情報を提供していません（オプトアウト中）。",
  "mypage.location.now.false": "現在: 位置情報を提供しています。",
  "mypage.location.saving": "位置情報の設定を変更しています…",
  "mypage.location.saved.true": "位置情報を提供しない設定にしました。ただちに反映されています。",
  "mypage.location.saved.false": "位置情報を提供する設定にしました。ただちに反映されています。",
  "mypage.location.failed": "位置情報の設定を変更できませんでした（{code}）。設定は変わっていません。もう一度お試しください。",

  "mypage.cancel.button": "解約する…",
  "mypage.cancel.buttonLabel": "契約 {contractId} を解約する",
  "mypage.cancel.title": "この契約を解約しますか",
  "mypage.cancel.loading": "契約の終了日時を確認しています…",
  "mypage.cancel.lead":
    "解約をお申し出になると、お申し出の日の属する料金月の末日に契約が終了します（第9条）。まだ解約は確定していません。",
  "mypage.cancel.confirm": "解約を確定する",
  "mypage.cancel.back": "やめる",
  "mypage.cancel.done": "解約のお申し出を受け付けました。契約は {time} に終了します。確認のお知らせをご登録の連絡先にお送りしました。",
  "mypage.cancel.notFound": "この契約は見つかりませんでした。ページを読み込み直してください。",

  "mypage.invoices": "ご請求",
  "mypage.invoices.intro": "料金月ごとのご請求です（新しい月から）。日割りはありません（第12条）。",
  "mypage.invoices.none": "まだご請求はありません。",
  "mypage.invoices.more": "さらに前の月を表示",
  "mypage.invoice.caption": "{month}のご請求",
  "mypage.invoice.contract": "契約番号",
  "mypage.invoice.amount": "金額",
  "mypage.invoice.subtotal": "小計",
  "mypage.invoice.tax": "消費税",
  "mypage.invoice.total": "合計",
  "mypage.invoice.notCharged": "この月に料金がかからなかったご契約",
  "mypage.notCharged.NOT_YET_BILLABLE.first":
    "このモバイルサービスの契約で最初のご契約のため、料金は成立した月の翌々料金月（{month}）からかかります（第12条）。",
  "mypage.notCharged.NOT_YET_BILLABLE": "料金は {month} からかかります（第12条）。",
  "mypage.notCharged.ENDED_BEFORE": "この月より前（{time}）に終了したため、料金はかかりません（第12条）。",
  "mypage.notCharged.FORMED_AFTER": "この月より後に成立したご契約のため、この月の料金はかかりません（第12条）。",
  "mypage.notCharged.NOT_BILLED": "この月の料金は、まだご請求に反映されていません（月末の処理の後に反映されます）。",
  "mypage.notCharged.unknown": "この月の料金はかかりません（{code}）。",

  "mypage.support": "サポートセンター",
  "mypage.support.phone": "電話番号",
  "mypage.support.hours": "受付時間",
  "mypage.support.hoursValue": "{opens}〜{closes}（日本時間・第7条）",
  "mypage.support.open": "ただいま受付時間内です。",
  "mypage.support.closed": "ただいま受付時間外です。{opens}（日本時間）から受け付けます。",
  "mypage.support.ask": "お電話の際は、契約番号をお手元にご用意ください。",
  "mypage.cancelPage": "ログインできない方の解約はこちら",
  "mypage.network": "送信できませんでした。通信状況を確認して、もう一度お試しください。",
  "mypage.refused": "お手続きを進められませんでした（{code}）。時間をおいて、もう一度お試しください。",
  "cancel.myPage": "ログインできる方はマイページから",
});
Object.assign(MESSAGES.en, {
  "member.signIn": "Sign in as a member",
  "member.signOut": "Sign out",
  "member.myPage": "My page",
  "member.signedInAs": "Signed in",
  "member.account": "mobile service contract {account}",
  "member.checking": "Checking your sign-in…",
  "member.expired": "Your sign-in has expired. Please sign in as a member again.",
  "member.failed": "You could not be signed in. Please press “Sign in as a member” again.",
  "member.unavailable": "Member sign-in is not available right now. Please try again later.",
  "member.noAccount":
    "Your member account has no mobile service contract number. Please contact your mobile service.",
  "member.signup.title": "Sign in as a member to apply",
  "member.signup.body":
    "Only the holder of a mobile service account (a member) may apply for Smartphone Anshin Support (Article 5). Once you sign in, your mobile service contract number is filled in for you.",
  "member.status.title": "Sign in as a member to see this application",
  "member.status.body":
    "Only the member who applied can see the status of an application. Sign in and this application's status is shown.",
  "member.mypage.title": "Sign in as a member to use My page",
  "member.mypage.body":
    "On My page you can see your contracts and invoices, cancel a contract and change your location data setting. Sign in as a member of the mobile service.",
  "field.mobileContractId.signedIn":
    "The contract number of the member signed in. It cannot be changed: you can apply only for your own.",

  "signup.notHolder":
    "You can apply only for the mobile service contract of the member signed in ({account}), not for another one.",
  "signup.membersOnly":
    "This account cannot apply. Sign out and sign in as a member of the mobile service.",
  "signup.tooMany":
    "You have reached today's limit of applications (10 a day). Please wait about {wait} and apply again after {time}.",
  "signup.expired":
    "Your sign-in has expired. Sign in as a member again, then press “Apply”. Your entries are kept in this tab.",
  "status.CONTRACTED.myPage": "You can see your contract and invoices on My page at any time.",
  "status.toMyPage": "Go to My page",

  "wait.hours": "{hours} h",
  "wait.minutes": "{minutes} min",
  "wait.join": " ",

  "mypage.docTitle": "My page | Smartphone Anshin Support",
  "mypage.title": "My page",
  "mypage.intro": "See your contracts and invoices, cancel a contract, or change your location data setting.",
  "mypage.loadFailed": "Your contracts could not be read ({code}). Check your connection and try again.",
  "mypage.refreshFailed": "The latest could not be read ({code}); what you see may be a little out of date.",
  "mypage.contracts": "Your contracts",
  "mypage.contracts.count": "{count} (at most 10 for one mobile service contract, Article 4)",
  "mypage.contracts.none": "Your mobile service contract has no Smartphone Anshin Support contract.",
  "mypage.apply": "Apply for a new contract",
  "mypage.contract.id": "Contract number",
  "mypage.contract.status": "Status",
  "mypage.contract.status.ACTIVE": "Active",
  "mypage.contract.status.CANCELLATION_PENDING": "Cancellation pending",
  "mypage.contract.status.ENDED": "Ended",
  "mypage.contract.deviceId": "Device ID",
  "mypage.contract.device": "Device",
  "mypage.contract.formedAt": "Contract formed",
  "mypage.contract.firstBillableMonth": "First month charged",
  "mypage.contract.firstUnderAccount":
    "As the first contract of your mobile service account, it is first charged two billing months after the month it formed (Article 12).",
  "mypage.contract.endsAt": "Ends at",
  "mypage.contract.endedAt": "Ended at",
  "mypage.contract.endReason": "Why it ends",
  "mypage.contract.endReason.SUBSCRIBER_CANCELLATION": "Cancelled by you (Article 9)",
  "mypage.contract.endReason.COMPANY_TERMINATION": "Terminated by the company (Article 10)",
  "mypage.contract.endReason.ACCOUNT_LOSS": "The mobile service contract ended, or similar (Article 11)",
  "mypage.contract.title": "{model} ({platform})",

  "mypage.location.legend": "Location data",
  "mypage.location.switch": "Do not provide location data (opt out)",
  "mypage.location.now.true": "Now: you do not provide location data (opted out).",
  "mypage.location.now.false": "Now: you provide location data.",
  "mypage.location.saving": "Changing your location data setting…",
  "mypage.location.saved.true": "You no longer provide location data. This applies at once.",
  "mypage.location.saved.false": "You now provide location data. This applies at once.",
  "mypage.location.failed": "The setting could not be changed ({code}); it is as it was. Please try again.",

  "mypage.cancel.button": "Cancel…",
  "mypage.cancel.buttonLabel": "Cancel contract {contractId}",
  "mypage.cancel.title": "Cancel this contract?",
  "mypage.cancel.loading": "Checking when the contract would end…",
  "mypage.cancel.lead":
    "If you cancel, the contract ends at the end of the billing month in which we receive your notice (Article 9). Nothing has been cancelled yet.",
  "mypage.cancel.confirm": "Confirm the cancellation",
  "mypage.cancel.back": "Stop",
  "mypage.cancel.done": "Your notice of cancellation is received. The contract ends at {time}. A confirmation has been sent to your contact on file.",
  "mypage.cancel.notFound": "This contract was not found. Please reload the page.",

  "mypage.invoices": "Invoices",
  "mypage.invoices.intro": "Your invoices by billing month, newest first. Fees are never prorated by day (Article 12).",
  "mypage.invoices.none": "No invoices yet.",
  "mypage.invoices.more": "Show earlier months",
  "mypage.invoice.caption": "Invoice for {month}",
  "mypage.invoice.contract": "Contract number",
  "mypage.invoice.amount": "Amount",
  "mypage.invoice.subtotal": "Subtotal",
  "mypage.invoice.tax": "Consumption tax",
  "mypage.invoice.total": "Total",
  "mypage.invoice.notCharged": "Contracts not charged this month",
  "mypage.notCharged.NOT_YET_BILLABLE.first":
    "As the first contract of your mobile service account, it is first charged two billing months after it formed, in {month} (Article 12).",
  "mypage.notCharged.NOT_YET_BILLABLE": "It is first charged in {month} (Article 12).",
  "mypage.notCharged.ENDED_BEFORE": "It ended before this month ({time}), so nothing is charged (Article 12).",
  "mypage.notCharged.FORMED_AFTER": "It formed after this month, so nothing is charged for it (Article 12).",
  "mypage.notCharged.NOT_BILLED": "Its fee for this month is not on the invoice yet (it is added when the month is closed).",
  "mypage.notCharged.unknown": "Nothing is charged for it this month ({code}).",

  "mypage.support": "Support centre",
  "mypage.support.phone": "Phone",
  "mypage.support.hours": "Hours",
  "mypage.support.hoursValue": "{opens}–{closes} Japan time (Article 7)",
  "mypage.support.open": "The support centre is open now.",
  "mypage.support.closed": "The support centre is closed now. It opens at {opens} Japan time.",
  "mypage.support.ask": "Please have your contract number at hand when you call.",
  "mypage.cancelPage": "Cannot sign in? Cancel here",
  "mypage.network": "Could not send. Check your connection and try again.",
  "mypage.refused": "We could not go on ({code}). Please try again later.",
  "cancel.myPage": "If you can sign in, use My page",
});

/** The language of this tab: the one chosen with the switch, else Japanese. */
export function currentLanguage() {
  try {
    const chosen = sessionStorage.getItem(STORED);
    if (LANGUAGES.includes(chosen)) return chosen;
  } catch {
    // storage blocked: Japanese
  }
  return "ja";
}

export function rememberLanguage(lang) {
  try {
    sessionStorage.setItem(STORED, lang);
  } catch {
    // storage blocked: the choice lasts until the page is left
  }
}

/** The text of `key` in `lang` (Japanese if English lacks it, the key itself if both do). */
export function t(lang, key, values = {}) {
  const text = MESSAGES[lang]?.[key] ?? MESSAGES.ja[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

/** Whether `key` has a text (for optional texts such as a field's help). */
export function has(key) {
  return key in MESSAGES.ja;
}

/** An instant (ISO 8601) as Japan time, the way the terms count time. */
export function formatInstant(lang, iso) {
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return iso;
  const format = new Intl.DateTimeFormat(lang === "ja" ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo",
    year: "numeric",
    month: "long",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  });
  return format.format(instant) + t(lang, "time.zone");
}

/**
 * An instant (ISO 8601) as "2026-11-30 23:59 JST" (with `seconds`: "23:59:59"), in both
 * languages (as staff read it).
 */
export function formatJst(iso, { seconds = false } = {}) {
  if (!iso) return "";
  const instant = new Date(iso);
  if (Number.isNaN(instant.getTime())) return String(iso);
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Asia/Tokyo",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      ...(seconds ? { second: "2-digit" } : {}),
      hourCycle: "h23",
    })
      .formatToParts(instant)
      .map((part) => [part.type, part.value]),
  );
  const time = `${parts.hour}:${parts.minute}${seconds ? `:${parts.second}` : ""}`;
  return `${parts.year}-${parts.month}-${parts.day} ${time} JST`;
}

/** A billing month "2026-11" as "2026年11月" (Japanese) or "November 2026" (English). */
export function formatMonth(lang, value) {
  const match = /^(\d{4})-(\d{2})$/.exec(value ?? "");
  if (!match) return value ?? "";
  if (lang === "ja") return `${match[1]}年${Number(match[2])}月`;
  const at = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1));
  return new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", year: "numeric", month: "long" }).format(at);
}

/** An amount of yen: "￥550". */
export function formatYen(amount) {
  const value = Number(amount);
  return Number.isFinite(value)
    ? new Intl.NumberFormat("ja-JP", { style: "currency", currency: "JPY" }).format(value)
    : String(amount ?? "");
}

/** A wait of `seconds` in words: "3 時間 20 分" / "3 h 20 min" (rounded up to the minute). */
export function waitWords(lang, seconds) {
  const minutes = Math.max(1, Math.ceil((Number(seconds) || 0) / 60));
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  const words = [];
  if (hours) words.push(t(lang, "wait.hours", { hours }));
  if (rest || !hours) words.push(t(lang, "wait.minutes", { minutes: rest }));
  return words.join(t(lang, "wait.join"));
}

import { useBotNames } from '../components/bot-select';
import { Page } from '../components/ui';
import { BuyNumber, ImportNumber } from './numbers/get-number';
import { NumberList, useNumbers } from './numbers/number-list';
import { SmsLog } from './numbers/sms-log';

/** Phone numbers (buy, import, route to a bot, detach) and the SMS they carried. */
export default function NumbersPage() {
  const bots = useBotNames();
  const numbers = useNumbers();
  return (
    <Page title="Numbers">
      <NumberList numbers={numbers} bots={bots.data} />
      <div class="split">
        <BuyNumber bots={bots.data} onBought={numbers.reload} />
        <ImportNumber onImported={numbers.reload} />
      </div>
      <SmsLog bots={bots.data} />
    </Page>
  );
}

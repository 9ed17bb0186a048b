import { Page } from '../components/ui';
import { useBotNames } from './numbers/bot-select';
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
        <BuyNumber bots={bots.data} onBought={numbers.list.reload} />
        <ImportNumber onImported={numbers.list.reload} />
      </div>
      <SmsLog bots={bots.data} />
    </Page>
  );
}
